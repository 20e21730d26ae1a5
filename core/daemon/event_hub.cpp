#include "daemon/event_hub.hpp"

#include <algorithm>
#include <utility>

namespace driftless::core {

class EventHub::Stream : public ResponseStream {
 public:
  Stream(std::string first, std::size_t max_bytes, std::chrono::milliseconds keep_alive)
      : pending_(std::move(first)), max_bytes_(max_bytes), keep_alive_(keep_alive) {}

  std::optional<std::string> take() override {
    std::lock_guard lock(mutex_);
    if (overflowed_) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    if (pending_.empty() && now - last_sent_ >= keep_alive_) pending_ = ": keep-alive\n\n";
    if (!pending_.empty()) last_sent_ = now;
    return std::exchange(pending_, std::string());
  }

  void push(const std::string& message) {
    std::lock_guard lock(mutex_);
    if (overflowed_) return;
    if (pending_.size() + message.size() > max_bytes_) {
      overflowed_ = true;
      pending_ = std::string();
      return;
    }
    pending_ += message;
  }

 private:
  std::mutex mutex_;
  std::string pending_;
  bool overflowed_ = false;
  const std::size_t max_bytes_;
  const std::chrono::milliseconds keep_alive_;
  std::chrono::steady_clock::time_point last_sent_ = std::chrono::steady_clock::now();
};

EventHub::EventHub(std::size_t max_streams, std::size_t max_queued_bytes, std::chrono::milliseconds keep_alive)
    : max_streams_(max_streams), max_queued_bytes_(max_queued_bytes), keep_alive_(keep_alive) {}

std::string EventHub::message(std::string_view event, std::string_view data) {
  std::string out = "event: ";
  out.append(event).append("\ndata: ").append(data).append("\n\n");
  return out;
}

std::shared_ptr<ResponseStream> EventHub::subscribe(std::string first) {
  std::lock_guard lock(mutex_);
  streams_.erase(std::remove_if(streams_.begin(), streams_.end(), [](const auto& s) { return s.expired(); }), streams_.end());
  if (streams_.size() >= max_streams_) return nullptr;
  auto stream = std::make_shared<Stream>(std::move(first), max_queued_bytes_, keep_alive_);
  streams_.push_back(stream);
  return stream;
}

void EventHub::publish(std::string_view event, std::string_view data) {
  const std::string text = message(event, data);
  std::lock_guard lock(mutex_);
  for (const auto& weak : streams_)
    if (auto stream = weak.lock()) stream->push(text);
}

std::size_t EventHub::streams() {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(streams_.begin(), streams_.end(), [](const auto& s) { return !s.expired(); }));
}

}  // namespace driftless::core
