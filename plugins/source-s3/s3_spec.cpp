#include "s3_spec.hpp"

#include <type_traits>

#include "driftless/toolkit/http.hpp"

namespace driftless::s3 {

std::vector<ConfigKey> s3_config_keys() {
  return {
      ConfigKey("endpoint", ConfigType::string, "S3 endpoint URL: https://s3.<region>.amazonaws.com, http://minio:9000 ...")
          .required(),
      ConfigKey("region", ConfigType::string, "Region used in the request signature.").default_to("us-east-1"),
      ConfigKey("bucket", ConfigType::string, "Bucket name.").required(),
      ConfigKey("prefix", ConfigType::string, "Only keys below this folder (a '/' is added); '' = the whole bucket.")
          .default_to(""),
      ConfigKey("addressing", ConfigType::string, "'path' (endpoint/bucket/key), 'virtual' (bucket.endpoint/key), or 'auto': "
                                                  "virtual for *.amazonaws.com, else path.")
          .default_to("auto")
          .one_of({"auto", "path", "virtual"}),
      ConfigKey("auth", ConfigType::object, "Credentials: files win over variables; default variables AWS_ACCESS_KEY_ID and "
                                            "AWS_SECRET_ACCESS_KEY.")
          .with_children({
              ConfigKey("accessKeyFile", ConfigType::path, "File whose first line is the access key id."),
              ConfigKey("accessKeyEnv", ConfigType::string, "Variable holding the access key id.").default_to("AWS_ACCESS_KEY_ID"),
              ConfigKey("secretKeyFile", ConfigType::path, "File whose first line is the secret key."),
              ConfigKey("secretKeyEnv", ConfigType::string, "Variable holding the secret key.").default_to("AWS_SECRET_ACCESS_KEY"),
          }),
      ConfigKey("caFile", ConfigType::path, "PEM bundle of CAs to trust for https (default: the system store)."),
      ConfigKey("archive", ConfigType::string, "'auto': unpack when the prefix holds exactly one .tar.gz/.tgz; 'always': it must; "
                                               "'never': files as they are.")
          .default_to("auto")
          .one_of({"auto", "always", "never"}),
      ConfigKey("maxObjects", ConfigType::integer, "Most objects (or archive entries) accepted.").default_to(std::int64_t{10000}),
      ConfigKey("maxTotalSize", ConfigType::integer, "Most bytes downloaded or unpacked.").default_to(std::int64_t{512} << 20),
      ConfigKey("timeout", ConfigType::duration, "Limit for each request to the endpoint.").default_to(std::int64_t{60000}),
      ConfigKey("keepSnapshots", ConfigType::integer, "How many downloaded revisions to keep on disk.").default_to(std::int64_t{3}),
  };
}

Result<S3Spec> parse_s3_spec(const Value& config) {
  S3Spec spec;
  spec.endpoint = config.string_or("endpoint");
  while (!spec.endpoint.empty() && spec.endpoint.back() == '/') spec.endpoint.pop_back();
  if (spec.endpoint.find('@') != std::string::npos)
    return fail(ErrorCode::invalid_input, "endpoint must not carry credentials; use auth.accessKeyFile/secretKeyFile");
  if (spec.endpoint.rfind("https://", 0) != 0 && spec.endpoint.rfind("http://", 0) != 0)
    return fail(ErrorCode::invalid_input, "endpoint '" + spec.endpoint + "' must start with https:// or http://");
  spec.region = config.string_or("region", "us-east-1");
  spec.bucket = config.string_or("bucket");
  if (spec.bucket.empty() || spec.bucket.find('/') != std::string::npos)
    return fail(ErrorCode::invalid_input, "bucket '" + spec.bucket + "' is not a bucket name");
  spec.prefix = config.string_or("prefix");
  while (!spec.prefix.empty() && spec.prefix.front() == '/') spec.prefix.erase(0, 1);
  if (!spec.prefix.empty() && spec.prefix.back() != '/') spec.prefix += '/';
  const std::string addressing = config.string_or("addressing", "auto");
  const std::string host = spec.endpoint.substr(spec.endpoint.find("://") + 3);
  spec.virtual_hosted = addressing == "virtual" ||
                        (addressing == "auto" && host.find(".amazonaws.com") != std::string::npos);
  if (const Value* auth = config.find("auth")) {
    spec.access_key_file = auth->string_or("accessKeyFile");
    spec.access_key_env = auth->string_or("accessKeyEnv", "AWS_ACCESS_KEY_ID");
    spec.secret_key_file = auth->string_or("secretKeyFile");
    spec.secret_key_env = auth->string_or("secretKeyEnv", "AWS_SECRET_ACCESS_KEY");
  } else {
    spec.access_key_env = "AWS_ACCESS_KEY_ID";
    spec.secret_key_env = "AWS_SECRET_ACCESS_KEY";
  }
  spec.ca_file = config.string_or("caFile");
  const std::string archive = config.string_or("archive", "auto");
  spec.archive = archive == "always" ? ArchiveMode::always : archive == "never" ? ArchiveMode::never : ArchiveMode::automatic;
  auto positive = [&](const char* key, auto& field) -> Result<void> {
    const Value* v = config.find(key);
    if (!v || !v->is_int()) return {};
    if (v->as_int() < 1) return fail(ErrorCode::invalid_input, std::string(key) + " must be at least 1");
    field = static_cast<std::remove_reference_t<decltype(field)>>(v->as_int());
    return {};
  };
  for (auto r : {positive("maxObjects", spec.max_objects), positive("maxTotalSize", spec.max_total_bytes),
                 positive("keepSnapshots", spec.keep_snapshots)})
    if (!r.ok()) return r.error();
  if (const Value* t = config.find("timeout"); t && t->is_int()) spec.timeout = std::chrono::milliseconds(t->as_int());
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
