// The three S3 calls a bucket source needs, over the SDK HTTP client with
// Signature V4: ListObjectsV2 (all pages), GetObject (checked against the
// listing: size, ETag, MD5) — with retries and backoff on throttling and
// server errors, and S3 error codes turned into clear messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "driftless/context.hpp"
#include "driftless/toolkit/http.hpp"
#include "s3_spec.hpp"

namespace driftless::s3 {

struct ObjectInfo {
  std::string key;   ///< full key
  std::string etag;  ///< as listed, quotes removed
  std::uint64_t size = 0;
};

class S3Client {
 public:
  /// Reads the credentials named by the spec (files first, then variables).
  static Result<std::unique_ptr<S3Client>> create(const S3Spec& spec);

  /// Every object below the prefix (folder markers ending in '/' left out),
  /// following continuation tokens. More than max_objects is an error.
  Result<std::vector<ObjectInfo>> list(Context& context);

  /// Downloads `objects` (several at once) and calls `store` with each body
  /// once it passed the checks; stops at the first error.
  Result<void> download(const std::vector<ObjectInfo>& objects, Context& context,
                        const std::function<Result<void>(const ObjectInfo&, std::string&&)>& store);

 private:
  S3Client(const S3Spec& spec, AwsSigV4 signing);
  HttpRequest request(const std::string& url, Context& context) const;
  Result<HttpResponse> send_with_retries(const HttpRequest& request, Context& context, Result<HttpResponse> first);
  Error describe(const HttpResponse& response, const std::string& what) const;
  Result<void> check(const ObjectInfo& object, const Result<HttpResponse>& response) const;

  const S3Spec& spec_;
  AwsSigV4 signing_;
  HttpClient http_;
};

/// The text of the first <tag>...</tag> in `xml` (entities decoded), "" when absent.
std::string xml_value(const std::string& xml, const std::string& tag);

}  // namespace driftless::s3
