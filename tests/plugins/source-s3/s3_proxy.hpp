// A TCP relay between the s3 source and the real MinIO of tests/env that
// counts the requests passing through and can inject the faults a real
// network or a busy server produces: 503 SlowDown answers and truncated
// bodies. The server stays real; only the wire is tampered with.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace driftless::test {

class S3Proxy {
 public:
  explicit S3Proxy(int upstream_port);
  ~S3Proxy();
  S3Proxy(const S3Proxy&) = delete;
  S3Proxy& operator=(const S3Proxy&) = delete;

  /// "http://127.0.0.1:<port>": use as the source's endpoint.
  std::string endpoint() const;

  std::atomic<int> list_requests{0};    ///< ListObjectsV2 calls seen
  std::atomic<int> object_requests{0};  ///< GetObject calls seen
  std::atomic<int> throttle_next{0};    ///< answer this many next requests with 503 SlowDown
  std::atomic<int> throttled{0};        ///< how many were answered so
  /// Object GETs whose path ends with this get a body cut short, then the connection drops.
  void truncate(const std::string& path_suffix);

 private:
  void accept_loop();
  void serve(int client);

  int listener_ = -1;
  int port_ = 0;
  int upstream_port_ = 0;
  std::mutex mutex_;
  std::string truncate_suffix_;
  std::vector<int> sockets_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
};

}  // namespace driftless::test
