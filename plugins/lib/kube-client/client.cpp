#include "client.hpp"

#include <driftless/toolkit/process.hpp>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <fstream>
#include <sstream>
#include <thread>

#include "kube_time.hpp"

namespace driftless::kube {
namespace {

constexpr auto kTokenFileReread = std::chrono::seconds(60);
constexpr auto kExpiryMargin = std::chrono::seconds(30);
constexpr auto kExecTimeout = std::chrono::seconds(60);
// As kubectl (client-go): up to 10 retries of a "not now" answer.
constexpr int kMaxRetries = 10;
constexpr auto kMaxRetryWait = std::chrono::seconds(10);
constexpr auto kFirstBackoff = std::chrono::milliseconds(250);
// How long retries may take in all when no RetryDeadline says (leases, events, watches).
constexpr auto kRetryTimeWithoutDeadline = std::chrono::seconds(30);

thread_local RequestTally* current_tally = nullptr;
thread_local RetryDeadline* current_deadline = nullptr;

// The server's Retry-After when it sent one, else 250 ms doubling per attempt; capped.
std::chrono::milliseconds retry_pause(const ApiAnswer& answer, int attempt) {
  const std::chrono::milliseconds pause =
      answer.retry_after.count() > 0 ? std::chrono::milliseconds(answer.retry_after) : kFirstBackoff * (1 << std::min(attempt, 6));
  return std::min<std::chrono::milliseconds>(pause, kMaxRetryWait);
}

bool is_write(const std::string& method) { return method != "GET" && method != "HEAD"; }

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

std::shared_ptr<HttpClient> make_http(const TlsOptions& tls) {
  HttpClientOptions options;
  options.tls = tls;
  options.user_agent = "driftless-sink-kube";
  return std::make_shared<HttpClient>(options);
}

}  // namespace

std::string api_message(const HttpResponse& response) {
  if (auto status = parse_json(response.body); status.ok() && status->string_or("kind") == "Status") {
    std::string message = status->string_or("message");
    if (!message.empty()) return message;
  }
  std::string body = response.body.substr(0, 200);
  return "HTTP " + std::to_string(response.status) + (body.empty() ? "" : ": " + body);
}

std::string failure_message(const Result<HttpResponse>& response) {
  const std::string message = response.ok() ? api_message(*response) : response.error().message;
  return ApiAnswer::of(response).cluster_unavailable() ? "the cluster is unavailable (" + message + ")" : message;
}

Error api_error(const HttpResponse& response, const std::string& what) {
  return Error{ApiAnswer::of(response).error_code(), what + ": " + api_message(response)};
}

KubeClient::KubeClient(ClusterAccess access, Impersonation impersonation, std::chrono::milliseconds timeout)
    : access_(std::move(access)), impersonation_(std::move(impersonation)), timeout_(timeout), http_(make_http(access_.tls)),
      token_(access_.token) {}

HttpRequest KubeClient::request(std::string method, std::string path, std::string body, std::string content_type) const {
  HttpRequest r;
  r.method = std::move(method);
  r.url = access_.server + path;
  r.body = std::move(body);
  r.timeout = timeout_;
  r.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", std::move(content_type));
  if (!impersonation_.user.empty()) r.headers.emplace_back("Impersonate-User", impersonation_.user);
  for (const auto& group : impersonation_.groups) r.headers.emplace_back("Impersonate-Group", group);
  return r;
}

Result<void> KubeClient::run_exec_plugin() {
  const ExecPlugin& plugin = *access_.exec;
  ProcessSpec p;
  std::string command = plugin.command;
  if (command.find('/') != std::string::npos && command.front() != '/') command = (plugin.dir / command).string();
  p.argv.push_back(command);
  p.argv.insert(p.argv.end(), plugin.args.begin(), plugin.args.end());
  p.env = plugin.env;
  p.inherit = {"PATH"};  // credential helpers (gcloud, aws ...) live anywhere on the user's PATH
  if (const char* home = std::getenv("HOME")) p.env.emplace("HOME", home);
  p.env["KUBERNETES_EXEC_INFO"] =
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}})";
  p.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kExecTimeout);
  p.max_output = 1 << 20;
  const std::string what = "the exec credential plugin '" + plugin.command + "' of " + access_.description;
  auto ran = run_process(p);
  if (!ran.ok()) return fail(ran.error().code, what + ": " + ran.error().message);
  if (ran->exit_code != 0)
    return fail(ErrorCode::unauthorized, what + " exited with status " + std::to_string(ran->exit_code) + ": " +
                                             trim(ran->err.substr(0, 300)));
  auto credential = parse_json(ran->out);
  const Value* status = credential.ok() ? credential->find("status") : nullptr;
  if (!status || credential->string_or("kind") != "ExecCredential")
    return fail(ErrorCode::unauthorized, what + " did not print an ExecCredential");
  token_ = status->string_or("token");
  const std::string cert = status->string_or("clientCertificateData");
  const std::string key = status->string_or("clientKeyData");
  if (token_.empty() && (cert.empty() || key.empty()))
    return fail(ErrorCode::unauthorized, what + " gave neither a token nor a client certificate and key");
  if (!cert.empty() && !key.empty()) {
    TlsOptions tls = access_.tls;
    tls.client_cert_pem = cert;
    tls.client_key_pem = key;
    tls.client_cert_file.clear();
    tls.client_key_file.clear();
    http_ = make_http(tls);
  }
  token_expiry_ = std::chrono::system_clock::time_point::max();
  if (auto expiry = parse_rfc3339(status->string_or("expirationTimestamp"))) token_expiry_ = *expiry;
  return {};
}

Result<KubeClient::Credentials> KubeClient::credentials(bool refresh) {
  std::lock_guard lock(mutex_);
  if (access_.exec) {
    const bool expired = std::chrono::system_clock::now() + kExpiryMargin >= token_expiry_;
    const bool never_ran = token_expiry_ == std::chrono::system_clock::time_point::max() && token_.empty();
    if (refresh || expired || never_ran)
      if (auto r = run_exec_plugin(); !r.ok()) return r.error();
  } else if (!access_.token_file.empty()) {
    const auto now = std::chrono::steady_clock::now();
    if (refresh || token_.empty() || now - token_read_ > kTokenFileReread) {
      std::ifstream in(access_.token_file);
      std::stringstream s;
      s << in.rdbuf();
      if (!in) return fail(ErrorCode::unauthorized, "cannot read the token file " + access_.token_file.string());
      token_ = trim(s.str());
      token_read_ = now;
    }
  }
  return Credentials{token_, http_};
}

RequestTally::RequestTally() : outer_(current_tally) { current_tally = this; }
RequestTally::~RequestTally() { current_tally = outer_; }

RetryDeadline::RetryDeadline(std::chrono::steady_clock::time_point deadline, std::function<bool()> cancelled)
    : deadline_(deadline), cancelled_(std::move(cancelled)), outer_(current_deadline) {
  current_deadline = this;
}
RetryDeadline::~RetryDeadline() { current_deadline = outer_; }

void KubeClient::count(const HttpRequest& request) {
  RequestCounts* tally = current_tally ? &current_tally->counts_ : nullptr;
  if (!is_write(request.method)) {
    ++reads_;
    if (tally) ++tally->reads;
  } else if (request.url.find("dryRun=All") != std::string::npos) {
    ++dry_runs_;
    if (tally) ++tally->dry_runs;
  } else {
    ++writes_;
    if (tally) ++tally->writes;
  }
}

Result<HttpResponse> KubeClient::send(HttpRequest request) {
  auto results = send_all({std::move(request)}, 1);
  return std::move(results.front());
}

std::vector<Result<HttpResponse>> KubeClient::send_all(std::vector<HttpRequest> requests, std::size_t concurrency) {
  const auto give_up = current_deadline ? std::chrono::steady_clock::time_point::max()
                                        : std::chrono::steady_clock::now() + kRetryTimeWithoutDeadline;
  auto results = send_authenticated(requests, concurrency);
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    std::vector<std::size_t> again;
    std::chrono::milliseconds pause{0};
    for (std::size_t i = 0; i < results.size(); ++i) {
      const ApiAnswer answer = ApiAnswer::of(results[i]);
      if (!answer.retryable(requests[i].method)) continue;
      again.push_back(i);
      pause = std::max(pause, retry_pause(answer, attempt));
    }
    if (again.empty() || !pause_before_retry(pause, give_up)) break;
    std::vector<HttpRequest> retried;
    for (auto i : again) retried.push_back(requests[i]);
    retries_ += again.size();
    if (current_tally) current_tally->counts_.retries += again.size();
    auto second = send_authenticated(std::move(retried), concurrency);
    for (std::size_t k = 0; k < again.size(); ++k) results[again[k]] = std::move(second[k]);
  }
  return results;
}

bool pause_before_retry(std::chrono::milliseconds length, std::chrono::steady_clock::time_point give_up) {
  const RetryDeadline* deadline = current_deadline;
  const auto until = std::chrono::steady_clock::now() + length;
  if (until >= give_up || (deadline && until >= deadline->deadline_)) return false;
  // In slices, so a cancel (SIGTERM) is not held up by a long Retry-After.
  for (auto now = std::chrono::steady_clock::now(); now < until; now = std::chrono::steady_clock::now()) {
    if (deadline && deadline->cancelled_ && deadline->cancelled_()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
  return true;
}

std::vector<Result<HttpResponse>> KubeClient::send_authenticated(std::vector<HttpRequest> requests, std::size_t concurrency) {
  auto creds = credentials(false);
  if (!creds.ok()) return std::vector<Result<HttpResponse>>(requests.size(), creds.error());
  for (auto& r : requests) {
    r.bearer_token = creds->token;
    count(r);
  }
  auto results = creds->http->send_all(requests, concurrency);
  const bool refreshable = access_.exec || !access_.token_file.empty();
  std::vector<std::size_t> retry;
  for (std::size_t i = 0; i < results.size(); ++i)
    if (refreshable && results[i].ok() && results[i]->status == 401) retry.push_back(i);
  if (retry.empty()) return results;
  auto fresh = credentials(true);
  if (!fresh.ok()) return results;
  std::vector<HttpRequest> again;
  for (auto i : retry) {
    again.push_back(requests[i]);
    again.back().bearer_token = fresh->token;
    count(again.back());
  }
  auto second = fresh->http->send_all(again, concurrency);
  for (std::size_t k = 0; k < retry.size(); ++k) results[retry[k]] = std::move(second[k]);
  return results;
}

Result<HttpResponse> KubeClient::stream(HttpRequest request, const std::function<bool(std::string_view)>& on_data) {
  auto creds = credentials(false);
  if (!creds.ok()) return creds.error();
  request.bearer_token = creds->token;
  count(request);
  return creds->http->stream(request, on_data);
}

RequestCounts KubeClient::counts() const { return {reads_.load(), writes_.load(), dry_runs_.load(), retries_.load()}; }

}  // namespace driftless::kube
