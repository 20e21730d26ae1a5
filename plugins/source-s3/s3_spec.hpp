// The s3 source's config block as plain data: where the bucket is, how to
// address and authenticate, and the limits of what is downloaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "driftless/config.hpp"
#include "driftless/result.hpp"
#include "driftless/toolkit/settings.hpp"
#include "driftless/value.hpp"

namespace driftless::s3 {

enum class ArchiveMode { automatic, always, never };
enum class Addressing { automatic, path, virtual_host };

/// Where the keys come from: a file wins over its variable.
struct S3Auth {
  std::string access_key_file, access_key_env = "AWS_ACCESS_KEY_ID";
  std::string secret_key_file, secret_key_env = "AWS_SECRET_ACCESS_KEY";
};

struct S3Spec {
  std::string endpoint;       ///< "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000" (no trailing '/')
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;         ///< "" or ending with '/'
  Addressing addressing = Addressing::automatic;
  bool virtual_hosted = false;  ///< what addressing means for the endpoint
  S3Auth auth;
  std::string ca_file;
  ArchiveMode archive = ArchiveMode::automatic;
  std::uint64_t max_objects = 10000;
  std::uint64_t max_total_bytes = 512ull << 20;
  std::chrono::milliseconds timeout{60000};
  int keep_snapshots = 3;
};

/// The config keys of the s3 source, each with the part of S3Spec it fills.
const SettingsSchema<S3Spec>& s3_schema();

/// Builds an S3Spec from a validated config block.
Result<S3Spec> parse_s3_spec(const Value& config);

/// URL of an object key (or of the bucket when `key` is empty), path-style or
/// virtual-hosted, with the key percent-encoded per path segment.
std::string object_url(const S3Spec& spec, const std::string& key);

}  // namespace driftless::s3
