#include "registry_client.hpp"

#include <algorithm>
#include <fstream>

#include "driftless/toolkit/hash.hpp"
#include "driftless/value.hpp"

namespace driftless::oci {
namespace {

constexpr int kMaxRedirects = 5;
constexpr int kMaxTagPages = 100;
constexpr std::size_t kMaxErrorBytes = 4096;

const char* const kManifestTypes =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

// "https://host:port" of an absolute URL.
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  return url.substr(0, url.find('/', scheme + 3));
}

// A Location or Link target, which may be relative to the origin.
std::string resolve(const std::string& target, const std::string& origin) {
  if (target.find("://") != std::string::npos) return target;
  return origin + (target.empty() || target[0] != '/' ? "/" : "") + target;
}

// The "next" target of a Link header: `</v2/x/tags/list?last=y&n=1000>; rel="next"`.
std::string next_link(const HttpResponse& response) {
  const std::string* link = response.header("link");
  if (!link || link->find("rel=\"next\"") == std::string::npos) return "";
  const auto open = link->find('<'), close = link->find('>');
  return open == std::string::npos || close == std::string::npos || close < open ? "" : link->substr(open + 1, close - open - 1);
}

// A tag as the distribution spec allows it: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.
bool is_tag(const std::string& s) {
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; };
  return !s.empty() && s.size() <= 128 && word(s[0]) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

}  // namespace

Result<Manifest> parse_manifest(const std::string& body, const std::string& digest, const std::string& where) {
  auto json = parse_json(body);
  if (!json.ok() || !json->is_object()) return fail(ErrorCode::invalid_input, where + " is not a JSON manifest");
  const std::string type = json->string_or("mediaType");
  if (type.find("index") != std::string::npos || type.find("manifest.list") != std::string::npos || json->find("manifests"))
    return fail(ErrorCode::invalid_input, where + " is an image index (an image for several platforms), not an artifact of "
                                                  "manifests as `flux push artifact` makes");
  Manifest out;
  out.digest = digest;
  const Value* layers = json->find("layers");
  if (!layers || !layers->is_array() || layers->as_array().empty())
    return fail(ErrorCode::invalid_input, where + " has no layers");
  for (const auto& layer : layers->as_array()) {
    Descriptor d;
    d.media_type = layer.is_object() ? layer.string_or("mediaType") : "";
    d.digest = layer.is_object() ? layer.string_or("digest") : "";
    const Value* size = layer.is_object() ? layer.find("size") : nullptr;
    if (!is_sha256_digest(d.digest) || !size || !size->is_int() || size->as_int() < 0)
      return fail(ErrorCode::invalid_input, where + ": a layer needs a sha256 digest and a size (found digest '" +
                                                d.digest.substr(0, 80) + "')");
    d.size = static_cast<std::uint64_t>(size->as_int());
    out.layers.push_back(std::move(d));
  }
  if (const Value* annotations = json->find("annotations"); annotations && annotations->is_object())
    for (const auto& [name, value] : annotations->as_object())
      if (value.is_string()) out.annotations[name] = value.as_string();
  return out;
}

RegistryClient::RegistryClient(const OciSpec& spec, std::optional<Credentials> credentials, Context& context)
    : spec_(spec), credentials_(std::move(credentials)), context_(context), http_([] {
        HttpClientOptions options;
        options.user_agent = "driftless-source-oci";
        return options;
      }()) {
  origin_ = std::string(spec.insecure ? "http://" : "https://") + spec.url.host;
  base_ = origin_ + "/v2/" + spec.url.repository;
}

HttpRequest RegistryClient::request(const std::string& url) const {
  HttpRequest r;
  r.url = url;
  r.timeout = std::min(spec_.timeout, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          context_.deadline() - std::chrono::steady_clock::now()));
  if (r.timeout.count() < 1) r.timeout = std::chrono::milliseconds(1);
  r.cancelled = [&context = context_] { return context.cancelled(); };
  return r;
}

Error RegistryClient::describe(const HttpResponse& response, const std::string& body, const std::string& what) const {
  std::string detail = "HTTP " + std::to_string(response.status);
  // The distribution spec's error body: {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "..."}]}
  auto json = parse_json(body.substr(0, kMaxErrorBytes));
  const Value* errors = json.ok() ? json->find("errors") : nullptr;
  if (errors && errors->is_array() && !errors->as_array().empty() && errors->as_array()[0].is_object()) {
    const Value& first = errors->as_array()[0];
    detail += " " + first.string_or("code").substr(0, 64);
    if (auto message = first.string_or("message"); !message.empty()) detail += ": " + message.substr(0, 200);
  }
  const std::string text = what + " (" + detail + ")";
  if (response.status == 401 || response.status == 403)
    return fail(ErrorCode::unauthorized, text + ": the registry refused " +
                                             (credentials_ ? "the credentials of auth" : "anonymous access; set auth"));
  if (response.status == 404) return fail(ErrorCode::not_found, text);
  return fail(ErrorCode::unavailable, text);
}

Result<void> RegistryClient::authenticate(const HttpResponse& refused) {
  const std::string* header = refused.header("www-authenticate");
  auto challenge = header ? parse_challenge(*header) : std::nullopt;
  if (challenge && challenge->scheme == "basic") {
    if (!credentials_)
      return fail(ErrorCode::unauthorized, spec_.url.text + " needs credentials (the registry asks for basic auth): set auth");
    authorization_ = basic_authorization(*credentials_);
    return {};
  }
  if (!challenge || challenge->scheme != "bearer" || challenge->params["realm"].empty())
    return fail(ErrorCode::unauthorized, spec_.url.text + " refused the request without saying how to authenticate "
                                         "(no Basic or Bearer realm in WWW-Authenticate)");
  const std::string realm = challenge->params["realm"];
  // The token service gets the credentials: never over plain http unless the registry itself is spoken to so.
  if (realm.rfind("https://", 0) != 0 && !(spec_.insecure && realm.rfind("http://", 0) == 0))
    return fail(ErrorCode::unauthorized, spec_.url.text + ": the registry's token service '" + redact_url(realm) +
                                             "' is not an https URL; no credentials or token requests are sent there");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&") +
                    "service=" + url_encode(challenge->params["service"]) + "&scope=" +
                    url_encode(challenge->params.count("scope") ? challenge->params["scope"]
                                                                : "repository:" + spec_.url.repository + ":pull");
  HttpRequest r = request(url);
  r.max_response_bytes = 1 << 20;
  if (credentials_) r.headers.emplace_back("Authorization", basic_authorization(*credentials_));
  auto answer = http_.send(r);
  const std::string what = "asking " + redact_url(realm) + " for a token to read " + spec_.url.text;
  if (!answer.ok()) return fail(answer.error().code, what + ": " + answer.error().message);
  if (answer->status != 200) return describe(*answer, answer->body, what);
  auto json = parse_json(answer->body);
  std::string token = json.ok() ? json->string_or("token") : "";
  if (token.empty() && json.ok()) token = json->string_or("access_token");
  if (token.empty()) return fail(ErrorCode::unauthorized, what + ": the answer holds no token");
  authorization_ = "Bearer " + token;
  return {};
}

Result<HttpResponse> RegistryClient::get(std::string url, const std::vector<std::pair<std::string, std::string>>& headers,
                                         std::size_t max_bytes, Sink* sink) {
  bool authenticated = false;
  for (int hops = 0; hops <= kMaxRedirects;) {
    HttpRequest r = request(url);
    r.headers = headers;
    r.max_response_bytes = max_bytes;
    const bool at_registry = origin_of(url) == origin_;
    if (at_registry && !authorization_.empty()) r.headers.emplace_back("Authorization", authorization_);
    if (sink) sink->restart();
    auto response = sink ? http_.stream(r, sink->take) : http_.send(r);
    if (!response.ok()) return response.error();  // the HTTP client's message names the method and the URL already
    if (response->status == 401 && at_registry && !authenticated) {
      authenticated = true;
      if (auto done = authenticate(*response); !done.ok()) return done.error();
      continue;
    }
    if (!is_redirect(response->status)) return response;
    const std::string* location = response->header("location");
    if (!location || location->empty())
      return fail(ErrorCode::unavailable, redact_url(url) + ": a redirect without a Location");
    const std::string next = resolve(*location, origin_of(url));
    if (url.rfind("https://", 0) == 0 && next.rfind("https://", 0) != 0)
      return fail(ErrorCode::unavailable, redact_url(url) + " redirects to '" + redact_url(next) +
                                              "', which is not https; refused (no downgrade to plain http)");
    url = next;
    ++hops;
  }
  return fail(ErrorCode::unavailable, spec_.url.text + ": more than " + std::to_string(kMaxRedirects) + " redirects");
}

Result<std::vector<std::string>> RegistryClient::tags() {
  std::vector<std::string> out;
  std::string url = base_ + "/tags/list?n=1000";
  for (int page = 0; !url.empty(); ++page) {
    if (page == kMaxTagPages)
      return fail(ErrorCode::invalid_input, spec_.url.text + " lists more than " + std::to_string(kMaxTagPages) +
                                                " pages of tags; pin a tag or digest instead of a semver range");
    const std::string what = "listing the tags of " + spec_.url.text;
    auto response = get(url, {{"Accept", "application/json"}}, kMaxManifestBytes);
    if (!response.ok()) return fail(response.error().code, what + ": " + response.error().message);
    if (response->status != 200) return describe(*response, response->body, what);
    auto json = parse_json(response->body);
    const Value* list = json.ok() ? json->find("tags") : nullptr;
    if (!json.ok() || (list && !list->is_null() && !list->is_array()))
      return fail(ErrorCode::invalid_input, what + ": the answer is not a tag list");
    for (const auto& tag : list && list->is_array() ? list->as_array() : Array{})
      if (tag.is_string()) out.push_back(tag.as_string());
    const std::string next = next_link(*response);
    url = next.empty() ? "" : resolve(next, origin_);
  }
  return out;
}

Result<Manifest> RegistryClient::manifest(const std::string& reference) {
  const std::string where = "the manifest " + spec_.url.text + ":" + reference.substr(0, 128);
  if (!is_tag(reference) && !is_sha256_digest(reference))
    return fail(ErrorCode::invalid_input, where + ": not a tag or a sha256 digest");
  auto response = get(base_ + "/manifests/" + reference, {{"Accept", kManifestTypes}}, kMaxManifestBytes);
  if (!response.ok()) return fail(response.error().code, "reading " + where + ": " + response.error().message);
  if (response->status != 200) return describe(*response, response->body, "reading " + where);
  const std::string digest = "sha256:" + sha256_hex(response->body);
  if (reference.rfind("sha256:", 0) == 0 && reference != digest)
    return fail(ErrorCode::invalid_input, where + ": the registry sent a manifest whose digest is " + digest +
                                              ", not the one asked for; refused");
  const std::string* claimed = response->header("docker-content-digest");
  if (claimed && claimed->rfind("sha256:", 0) == 0 && *claimed != digest)
    return fail(ErrorCode::invalid_input, where + ": the registry says its digest is " + *claimed + " but the bytes hash to " +
                                              digest + "; refused");
  return parse_manifest(response->body, digest, where);
}

Result<void> RegistryClient::download(const Descriptor& blob, const std::filesystem::path& file) {
  const std::string what = "downloading layer " + blob.digest + " of " + spec_.url.text;
  std::ofstream out;
  std::optional<Sha256> hash;
  std::uint64_t bytes = 0;
  bool longer = false;
  Sink sink{[&] {
              out.close();
              out.open(file, std::ios::binary | std::ios::trunc);
              hash.emplace();
              bytes = 0;
              longer = false;
            },
            [&](std::string_view piece) {
              bytes += piece.size();
              if (bytes > blob.size) {  // more than the manifest says: stop at once
                longer = true;
                return false;
              }
              hash->update(piece);
              out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
              return static_cast<bool>(out);
            }};
  auto response = get(base_ + "/blobs/" + blob.digest, {}, kMaxErrorBytes, &sink);
  out.close();
  if (!response.ok()) return fail(response.error().code, what + ": " + response.error().message);
  if (response->status != 200) {
    std::ifstream in(file, std::ios::binary);
    std::string body(kMaxErrorBytes, '\0');
    in.read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(in.gcount()));
    return describe(*response, body, what);
  }
  if (longer)
    return fail(ErrorCode::invalid_input, what + ": the registry sent more than the " + std::to_string(blob.size) +
                                              " bytes the manifest names; refused");
  if (!out) return fail(ErrorCode::internal, what + ": cannot write " + file.string());
  if (bytes != blob.size)
    return fail(ErrorCode::unavailable, what + ": got " + std::to_string(bytes) + " of " + std::to_string(blob.size) +
                                            " bytes (truncated)");
  const std::string digest = "sha256:" + hash->hex();
  if (digest != blob.digest)
    return fail(ErrorCode::invalid_input, what + ": the bytes hash to " + digest +
                                              ", not the digest the manifest names; refused, nothing is unpacked");
  return {};
}

}  // namespace driftless::oci
