// Server-Sent Events for the dashboard (GET /api/v1/events): every open
// stream gets each published event. Bounded everywhere: at most `max_streams`
// streams, and a stream whose client does not keep up (more than
// `max_queued_bytes` waiting) is ended, never buffered for; the browser's
// EventSource reconnects and reloads what it shows.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/http_server.hpp"

namespace driftless::core {

class EventHub {
 public:
  EventHub(std::size_t max_streams, std::size_t max_queued_bytes,
           std::chrono::milliseconds keep_alive = std::chrono::seconds(15));

  /// A new stream that starts with `first` (already SSE-formatted), or nullptr
  /// when `max_streams` are open.
  std::shared_ptr<ResponseStream> subscribe(std::string first);
  /// Sends `event` with `data` (one line of JSON) to every stream.
  void publish(std::string_view event, std::string_view data);
  /// Streams open now (a stream closes when its connection does).
  std::size_t streams();

  /// One SSE message: "event: E\ndata: D\n\n".
  static std::string message(std::string_view event, std::string_view data);

 private:
  class Stream;
  const std::size_t max_streams_;
  const std::size_t max_queued_bytes_;
  const std::chrono::milliseconds keep_alive_;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Stream>> streams_;
};

}  // namespace driftless::core
