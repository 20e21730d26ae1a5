#include "s3_client.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <random>
#include <thread>

#include "driftless/toolkit/secrets.hpp"

namespace driftless::s3 {
namespace {

constexpr int max_attempts = 5;
constexpr std::size_t parallel_downloads = 8;

std::string decode_entities(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const std::size_t end = text.find(';', i);
    if (end == std::string::npos) {
      out.push_back('&');
      continue;
    }
    const std::string name = text.substr(i + 1, end - i - 1);
    if (name == "amp") out.push_back('&');
    else if (name == "lt") out.push_back('<');
    else if (name == "gt") out.push_back('>');
    else if (name == "quot") out.push_back('"');
    else if (name == "apos") out.push_back('\'');
    else if (!name.empty() && name[0] == '#') {
      const unsigned long code = name.size() > 1 && name[1] == 'x' ? std::stoul(name.substr(2), nullptr, 16) : std::stoul(name.substr(1));
      if (code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
      } else {
        out.push_back(static_cast<char>(0xe0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
      }
    } else {
      out += "&" + name + ";";
    }
    i = end;
  }
  return out;
}

// The bodies of every <tag>...</tag> block, in order.
std::vector<std::string> xml_blocks(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (std::size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at)) {
    const std::size_t end = xml.find(close, at);
    if (end == std::string::npos) break;
    out.push_back(xml.substr(at + open.size(), end - at - open.size()));
    at = end + close.size();
  }
  return out;
}

std::string unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// The key, or an error saying which key it is and where else it may come from.
Result<std::string> read_key(const std::string& file, const std::string& variable, const char* what) {
  auto key = read_secret(file, variable);
  if (key.ok()) return key;
  const std::string other = std::string(what) == "access key" ? "accessKeyFile" : "secretKeyFile";
  return fail(ErrorCode::unauthorized, std::string(what) + ": " + key.error().message + (file.empty() ? " (or set auth." + other + ")" : ""));
}

std::string md5_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(digits[digest[i] >> 4]);
    out.push_back(digits[digest[i] & 15]);
  }
  return out;
}

bool is_md5_etag(const std::string& etag) {
  return etag.size() == 32 && std::all_of(etag.begin(), etag.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

bool retryable(const Result<HttpResponse>& response) {
  if (!response.ok()) return response.error().code == ErrorCode::unavailable || response.error().code == ErrorCode::timeout;
  const long s = response->status;
  if (s == 429 || s == 500 || s == 502 || s == 503 || s == 504) return true;
  const std::string code = xml_value(response->body, "Code");
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable";
}

}  // namespace

std::string xml_value(const std::string& xml, const std::string& tag) {
  auto blocks = xml_blocks(xml, tag);
  return blocks.empty() ? std::string() : decode_entities(blocks.front());
}

Result<std::unique_ptr<S3Client>> S3Client::create(const S3Spec& spec) {
  auto access = read_key(spec.auth.access_key_file, spec.auth.access_key_env, "access key");
  if (!access.ok()) return access.error();
  auto secret = read_key(spec.auth.secret_key_file, spec.auth.secret_key_env, "secret key");
  if (!secret.ok()) return secret.error();
  AwsSigV4 signing{"aws:amz:" + spec.region + ":s3", *access, *secret};
  return std::unique_ptr<S3Client>(new S3Client(spec, std::move(signing)));
}

S3Client::S3Client(const S3Spec& spec, AwsSigV4 signing)
    : spec_(spec), signing_(std::move(signing)), http_([&] {
        HttpClientOptions options;
        options.tls.ca_file = spec.ca_file;
        options.user_agent = "driftless-source-s3";
        return options;
      }()) {}

HttpRequest S3Client::request(const std::string& url, Context& context) const {
  HttpRequest r;
  r.url = url;
  r.aws_sigv4 = signing_;
  r.timeout = std::min(spec_.timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          context.deadline() - std::chrono::steady_clock::now()));
  if (r.timeout.count() < 1) r.timeout = std::chrono::milliseconds(1);
  r.max_response_bytes = static_cast<std::size_t>(spec_.max_total_bytes) + 1;
  r.cancelled = [&context] { return context.cancelled(); };
  return r;
}

Result<HttpResponse> S3Client::send_with_retries(const HttpRequest& request, Context& context, Result<HttpResponse> first) {
  Result<HttpResponse> response = std::move(first);
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1; attempt < max_attempts && retryable(response); ++attempt) {
    auto wait = std::chrono::milliseconds((100 << attempt) + static_cast<int>(jitter() % 100));
    if (response.ok())
      if (const std::string* after = response->header("retry-after"))
        wait = std::max(wait, std::chrono::milliseconds(std::min(5000L, std::atol(after->c_str()) * 1000L)));
    if (std::chrono::steady_clock::now() + wait >= context.deadline()) break;
    context.logger().debug("retrying S3 request", {{"url", redact_url(request.url)}, {"attempt", std::to_string(attempt + 1)}});
    for (auto slept = std::chrono::milliseconds(0); slept < wait && !context.cancelled(); slept += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (context.cancelled()) return fail(ErrorCode::cancelled, "cancelled while waiting to retry " + redact_url(request.url));
    HttpRequest again = request;
    again.timeout = this->request(request.url, context).timeout;
    response = http_.send(again);
  }
  return response;
}

Error S3Client::describe(const HttpResponse& response, const std::string& what) const {
  const std::string code = xml_value(response.body, "Code");
  const std::string message = xml_value(response.body, "Message");
  const std::string detail = " (HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code) +
                             (message.empty() ? "" : ": " + message) + ")";
  if (code == "NoSuchBucket")
    return fail(ErrorCode::not_found, "bucket '" + spec_.bucket + "' does not exist at " + spec_.endpoint + detail);
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "AccessDenied" || code == "ExpiredToken" ||
      response.status == 401 || response.status == 403)
    return fail(ErrorCode::unauthorized, what + " was refused: check the access key, secret key and region" + detail);
  if (response.status == 404) return fail(ErrorCode::not_found, what + " found nothing" + detail);
  if (response.status == 503 || response.status == 429 || code == "SlowDown")
    return fail(ErrorCode::unavailable, what + " was throttled and kept failing after " + std::to_string(max_attempts) +
                                            " attempts with backoff" + detail);
  return fail(ErrorCode::unavailable, what + " failed" + detail);
}

Result<std::vector<ObjectInfo>> S3Client::list(Context& context) {
  std::vector<ObjectInfo> out;
  std::string token;
  const std::string what = "listing bucket '" + spec_.bucket + "' at " + spec_.endpoint;
  do {
    // Parameters in sorted order: the SigV4 canonical query string is sorted.
    std::string query = token.empty() ? "" : "continuation-token=" + url_encode(token) + "&";
    query += "list-type=2&prefix=" + url_encode(spec_.prefix);
    HttpRequest r = request(object_url(spec_, "") + "?" + query, context);
    auto response = send_with_retries(r, context, http_.send(r));
    if (!response.ok()) return fail(response.error().code, what + ": " + response.error().message);
    if (response->status != 200) return describe(*response, what);
    for (const auto& block : xml_blocks(response->body, "Contents")) {
      ObjectInfo info;
      info.key = xml_value(block, "Key");
      info.etag = unquote(xml_value(block, "ETag"));
      info.size = std::stoull("0" + xml_value(block, "Size"));
      if (info.key.empty() || info.key.back() == '/') continue;  // folder markers
      out.push_back(std::move(info));
    }
    if (out.size() > spec_.max_objects)
      return fail(ErrorCode::invalid_input, what + ": more than maxObjects (" + std::to_string(spec_.max_objects) + ") objects");
    token = xml_value(response->body, "IsTruncated") == "true" ? xml_value(response->body, "NextContinuationToken") : "";
  } while (!token.empty());
  return out;
}

Result<void> S3Client::check(const ObjectInfo& object, const Result<HttpResponse>& response) const {
  const std::string what = "downloading '" + object.key + "'";
  if (!response.ok()) return fail(response.error().code, what + ": " + response.error().message);
  if (response->status != 200) return describe(*response, what);
  if (response->body.size() != object.size)
    return fail(ErrorCode::unavailable, what + ": truncated or changed download, got " + std::to_string(response->body.size()) +
                                            " of " + std::to_string(object.size) + " bytes");
  const std::string* etag = response->header("etag");
  if (etag && unquote(*etag) != object.etag)
    return fail(ErrorCode::unavailable, what + ": the object changed while fetching (ETag " + unquote(*etag) + ", listed " +
                                            object.etag + "); the next fetch will pick up the new content");
  if (is_md5_etag(object.etag) && md5_hex(response->body) != object.etag)
    return fail(ErrorCode::unavailable, what + ": the downloaded bytes do not match the object's ETag (MD5); corrupted download");
  return {};
}

Result<void> S3Client::download(const std::vector<ObjectInfo>& objects, Context& context,
                                const std::function<Result<void>(const ObjectInfo&, std::string&&)>& store) {
  for (std::size_t start = 0; start < objects.size(); start += parallel_downloads * 4) {
    const std::size_t end = std::min(objects.size(), start + parallel_downloads * 4);
    std::vector<HttpRequest> batch;
    for (std::size_t i = start; i < end; ++i) batch.push_back(request(object_url(spec_, objects[i].key), context));
    auto responses = http_.send_all(batch, parallel_downloads);
    for (std::size_t i = start; i < end; ++i) {
      const HttpRequest& r = batch[i - start];
      auto response = send_with_retries(r, context, std::move(responses[i - start]));
      auto checked = check(objects[i], response);
      if (!checked.ok() && checked.error().code == ErrorCode::unavailable) {  // a damaged transfer: one more full try
        response = send_with_retries(r, context, http_.send(r));
        checked = check(objects[i], response);
      }
      if (!checked.ok()) return checked;
      if (auto stored = store(objects[i], std::move(response->body)); !stored.ok()) return stored;
    }
  }
  return {};
}

}  // namespace driftless::s3
