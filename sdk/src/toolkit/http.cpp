#include "driftless/toolkit/http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

namespace driftless {
namespace {

std::once_flag g_curl_init;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// One request in flight: its easy handle and everything its callbacks touch.
struct Transfer {
  const HttpRequest* request = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  bool too_large = false;
  bool stopped_by_reader = false;
  bool cancelled = false;
  std::array<char, CURL_ERROR_SIZE> error{};
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->on_data) {
    if (!(*t->on_data)(std::string_view(data, n))) {
      t->stopped_by_reader = true;
      return 0;
    }
    return n;
  }
  if (t->response.body.size() + n > t->request->max_response_bytes) {
    t->too_large = true;
    return 0;
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after 100 Continue or a redirect)
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(lower(std::string(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request->cancelled && t->request->cancelled()) {
    t->cancelled = true;
    return 1;
  }
  return 0;
}

void set_blob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, option, &blob);
}

}  // namespace

const std::string* HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return &value;
  return nullptr;
}

std::string redact_url(std::string_view url) {
  std::string_view rest = url;
  std::string scheme;
  if (auto p = rest.find("://"); p != std::string_view::npos) {
    scheme = std::string(rest.substr(0, p + 3));
    rest.remove_prefix(p + 3);
  }
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view path = path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  return scheme + std::string(authority) + std::string(path);
}

std::string ssh_url_of_scp_like(std::string_view address) {
  const auto at = address.find('@');
  const auto colon = address.find(':');
  if (address.find("://") != std::string_view::npos || at == 0 || at == std::string_view::npos || colon == std::string_view::npos ||
      at > colon || address.find('/') < colon)
    return "";
  return "ssh://" + std::string(address.substr(0, colon)) + "/" + std::string(address.substr(colon + 1));
}

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct HttpClient::Impl {
  HttpClientOptions options;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_locks;
  std::mutex pool_mutex;
  std::vector<CURLM*> idle_multis;  // each keeps its own connection cache alive
  std::vector<CURL*> idle_easies;
  mutable std::mutex counts_mutex;
  std::map<std::string, std::uint64_t> counts;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->share_locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) { static_cast<Impl*>(user)->share_locks[data].unlock(); }

  explicit Impl(HttpClientOptions o) : options(std::move(o)) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &Impl::lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~Impl() {
    for (CURL* easy : idle_easies) curl_easy_cleanup(easy);
    for (CURLM* multi : idle_multis) curl_multi_cleanup(multi);
    curl_share_cleanup(share);
  }

  CURLM* take_multi() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle_multis.empty()) {
        CURLM* multi = idle_multis.back();
        idle_multis.pop_back();
        return multi;
      }
    }
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    return multi;
  }

  void give_back(CURLM* multi) {
    std::lock_guard lock(pool_mutex);
    idle_multis.push_back(multi);
  }

  CURL* take_easy() {
    std::lock_guard lock(pool_mutex);
    if (idle_easies.empty()) return curl_easy_init();
    CURL* easy = idle_easies.back();
    idle_easies.pop_back();
    curl_easy_reset(easy);
    return easy;
  }

  void give_back_easy(CURL* easy) {
    std::lock_guard lock(pool_mutex);
    idle_easies.push_back(easy);
  }

  void count(const std::string& method) {
    std::lock_guard lock(counts_mutex);
    ++counts[method];
  }

  void prepare(Transfer& t) {
    const HttpRequest& r = *t.request;
    CURL* e = t.easy = take_easy();
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SHARE, share);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error.data());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    if (r.cancelled) {
      curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &on_progress);
      curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
    }
    // Redirects are not followed: they could carry credentials to another host.
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);

    if (r.method == "HEAD") curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (r.method != "GET") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
    }

    for (const auto& [name, value] : r.headers) t.header_list = curl_slist_append(t.header_list, (name + ": " + value).c_str());
    // "Expect:" (no 100-continue round trip) is left out of SigV4 requests:
    // libcurl 7.88 signs it as an empty header it never sends, and S3 answers
    // SignatureDoesNotMatch.
    if (!r.aws_sigv4) t.header_list = curl_slist_append(t.header_list, "Expect:");
    if (!r.bearer_token.empty())
      t.header_list = curl_slist_append(t.header_list, ("Authorization: Bearer " + r.bearer_token).c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);

    if (r.aws_sigv4) {
      curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r.aws_sigv4->provider.c_str());
      curl_easy_setopt(e, CURLOPT_USERNAME, r.aws_sigv4->access_key.c_str());
      curl_easy_setopt(e, CURLOPT_PASSWORD, r.aws_sigv4->secret_key.c_str());
    }

    const TlsOptions& tls = options.tls;
    if (!tls.ca_pem.empty()) set_blob(e, CURLOPT_CAINFO_BLOB, tls.ca_pem);
    else if (!tls.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.client_cert_pem.empty()) set_blob(e, CURLOPT_SSLCERT_BLOB, tls.client_cert_pem);
    else if (!tls.client_cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, tls.client_cert_file.c_str());
    if (!tls.client_key_pem.empty()) set_blob(e, CURLOPT_SSLKEY_BLOB, tls.client_key_pem);
    else if (!tls.client_key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, tls.client_key_file.c_str());
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    count(r.method);
  }

  // Turns a finished transfer into its result and returns the handle to the pool.
  Result<HttpResponse> finish(Transfer& t, CURLcode code) {
    curl_slist_free_all(t.header_list);
    t.header_list = nullptr;
    long version = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
    curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
    t.response.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : 1;
    give_back_easy(t.easy);
    t.easy = nullptr;
    const std::string what = t.request->method + " " + redact_url(t.request->url);
    if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.stopped_by_reader)) return std::move(t.response);
    if (t.too_large)
      return fail(ErrorCode::invalid_input, what + ": the response is larger than the limit of " +
                                                std::to_string(t.request->max_response_bytes) + " bytes");
    if (t.cancelled) return fail(ErrorCode::cancelled, what + ": cancelled");
    const std::string detail = t.error[0] ? std::string(t.error.data()) : curl_easy_strerror(code);
    if (code == CURLE_OPERATION_TIMEDOUT)
      return fail(ErrorCode::timeout, what + ": no complete response within " +
                                          std::to_string(t.request->timeout.count()) + " ms (" + detail + ")");
    return fail(ErrorCode::unavailable, what + ": " + detail);
  }

  std::vector<Result<HttpResponse>> run(std::vector<Transfer>& transfers, std::size_t concurrency) {
    std::vector<std::optional<Result<HttpResponse>>> results(transfers.size());
    CURLM* multi = take_multi();
    std::size_t next = 0, running = 0;
    concurrency = std::max<std::size_t>(1, concurrency);
    auto start_more = [&] {
      while (running < concurrency && next < transfers.size()) {
        prepare(transfers[next]);
        curl_multi_add_handle(multi, transfers[next].easy);
        ++next;
        ++running;
      }
    };
    start_more();
    while (running > 0) {
      int still = 0;
      curl_multi_perform(multi, &still);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        const CURLcode code = msg->data.result;
        curl_multi_remove_handle(multi, msg->easy_handle);
        results[static_cast<std::size_t>(t - transfers.data())] = finish(*t, code);
        --running;
      }
      start_more();
      if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    give_back(multi);
    std::vector<Result<HttpResponse>> out;
    out.reserve(results.size());
    for (auto& r : results) out.push_back(std::move(*r));
    return out;
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  std::vector<Transfer> transfers(1);
  transfers[0].request = &request;
  return std::move(impl_->run(transfers, 1).front());
}

std::vector<Result<HttpResponse>> HttpClient::send_all(const std::vector<HttpRequest>& requests, std::size_t concurrency) {
  std::vector<Transfer> transfers(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) transfers[i].request = &requests[i];
  return impl_->run(transfers, concurrency);
}

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const std::function<bool(std::string_view)>& on_data) {
  std::vector<Transfer> transfers(1);
  transfers[0].request = &request;
  transfers[0].on_data = &on_data;
  return std::move(impl_->run(transfers, 1).front());
}

std::map<std::string, std::uint64_t> HttpClient::request_counts() const {
  std::lock_guard lock(impl_->counts_mutex);
  return impl_->counts;
}

}  // namespace driftless
