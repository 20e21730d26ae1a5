#include "s3_spec.hpp"

#include "driftless/toolkit/http.hpp"

namespace driftless::s3 {

namespace {

Result<std::string> endpoint_url(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  if (endpoint.find('@') != std::string::npos)
    return fail(ErrorCode::invalid_input, "endpoint must not carry credentials; use auth.accessKeyFile/secretKeyFile");
  if (endpoint.rfind("https://", 0) != 0 && endpoint.rfind("http://", 0) != 0)
    return fail(ErrorCode::invalid_input, "endpoint '" + endpoint + "' must start with https:// or http://");
  return endpoint;
}

Result<std::string> bucket_name(const std::string& bucket) {
  if (bucket.empty() || bucket.find('/') != std::string::npos)
    return fail(ErrorCode::invalid_input, "bucket '" + bucket + "' is not a bucket name");
  return bucket;
}

// "" or a folder ending with '/', without a leading one.
Result<std::string> folder_prefix(std::string prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return prefix;
}

}  // namespace

const SettingsSchema<S3Spec>& s3_schema() {
  static const auto schema =
      SettingsSchema<S3Spec>()
          .key(ConfigKey("endpoint", ConfigType::string,
                         "S3 endpoint URL: https://s3.<region>.amazonaws.com, http://minio:9000 ...")
                   .required(),
               &S3Spec::endpoint, endpoint_url)
          .key(ConfigKey("region", ConfigType::string, "Region used in the request signature.").default_to("us-east-1"),
               &S3Spec::region)
          .key(ConfigKey("bucket", ConfigType::string, "Bucket name.").required(), &S3Spec::bucket, bucket_name)
          .key(ConfigKey("prefix", ConfigType::string, "Only keys below this folder (a '/' is added); '' = the whole bucket.")
                   .default_to(""),
               &S3Spec::prefix, folder_prefix)
          .choice(ConfigKey("addressing", ConfigType::string,
                            "'path' (endpoint/bucket/key), 'virtual' (bucket.endpoint/key), or 'auto': virtual for "
                            "*.amazonaws.com, else path.")
                      .default_to("auto"),
                  &S3Spec::addressing,
                  {{"auto", Addressing::automatic}, {"path", Addressing::path}, {"virtual", Addressing::virtual_host}})
          .block(ConfigKey("auth", ConfigType::object,
                           "Credentials: files win over variables; default variables AWS_ACCESS_KEY_ID and "
                           "AWS_SECRET_ACCESS_KEY."),
                 &S3Spec::auth,
                 SettingsSchema<S3Auth>()
                     .key(ConfigKey("accessKeyFile", ConfigType::path, "File whose first line is the access key id."),
                          &S3Auth::access_key_file)
                     .key(ConfigKey("accessKeyEnv", ConfigType::string, "Variable holding the access key id.")
                              .default_to("AWS_ACCESS_KEY_ID"),
                          &S3Auth::access_key_env)
                     .key(ConfigKey("secretKeyFile", ConfigType::path, "File whose first line is the secret key."),
                          &S3Auth::secret_key_file)
                     .key(ConfigKey("secretKeyEnv", ConfigType::string, "Variable holding the secret key.")
                              .default_to("AWS_SECRET_ACCESS_KEY"),
                          &S3Auth::secret_key_env))
          .key(ConfigKey("caFile", ConfigType::path, "PEM bundle of CAs to trust for https (default: the system store)."),
               &S3Spec::ca_file)
          .choice(ConfigKey("archive", ConfigType::string,
                            "'auto': unpack when the prefix holds exactly one .tar.gz/.tgz; 'always': it must; 'never': "
                            "files as they are.")
                      .default_to("auto"),
                  &S3Spec::archive,
                  {{"auto", ArchiveMode::automatic}, {"always", ArchiveMode::always}, {"never", ArchiveMode::never}})
          .key(ConfigKey("maxObjects", ConfigType::integer, "Most objects (or archive entries) accepted.")
                   .default_to(std::int64_t{10000}),
               &S3Spec::max_objects, Minimum::at_least(1))
          .key(ConfigKey("maxTotalSize", ConfigType::integer, "Most bytes downloaded or unpacked.")
                   .default_to(std::int64_t{512} << 20),
               &S3Spec::max_total_bytes, Minimum::at_least(1))
          .key(ConfigKey("timeout", ConfigType::duration, "Limit for each request to the endpoint.")
                   .default_to(std::int64_t{60000}),
               &S3Spec::timeout)
          .key(ConfigKey("keepSnapshots", ConfigType::integer, "How many downloaded revisions to keep on disk.")
                   .default_to(std::int64_t{3}),
               &S3Spec::keep_snapshots, Minimum::at_least(1));
  return schema;
}

Result<S3Spec> parse_s3_spec(const Value& config) {
  auto spec = s3_schema().read(config);
  if (!spec.ok()) return spec.error();
  const bool aws = spec->endpoint.find(".amazonaws.com") != std::string::npos;
  spec->virtual_hosted = spec->addressing == Addressing::virtual_host || (spec->addressing == Addressing::automatic && aws);
  return spec;
}

std::string object_url(const S3Spec& spec, const std::string& key) {
  std::string path;
  std::size_t start = 0;
  while (start < key.size()) {  // encode each segment, keep the '/'
    std::size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    path += url_encode(key.substr(start, end - start));
    if (end < key.size()) path += '/';
    start = end + 1;
  }
  if (!spec.virtual_hosted) return spec.endpoint + "/" + spec.bucket + "/" + path;
  const std::size_t host_start = spec.endpoint.find("://") + 3;
  return spec.endpoint.substr(0, host_start) + spec.bucket + "." + spec.endpoint.substr(host_start) + "/" + path;
}

}  // namespace driftless::s3
