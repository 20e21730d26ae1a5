#include "s3_proxy.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "source_fixture.hpp"

namespace driftless::test {
namespace {

int connect_local(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

S3Proxy::S3Proxy(int upstream_port) : upstream_port_(upstream_port) {
  listener_ = listen_on_loopback(port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

S3Proxy::~S3Proxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  ::close(listener_);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  for (int fd : sockets_) ::close(fd);
}

std::string S3Proxy::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void S3Proxy::truncate(const std::string& path_suffix) {
  std::lock_guard<std::mutex> lock(mutex_);
  truncate_suffix_ = path_suffix;
}

void S3Proxy::accept_loop() {
  while (!stopping_) {
    int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    sockets_.push_back(client);
    threads_.emplace_back([this, client] { serve(client); });
  }
}

void S3Proxy::serve(int client) {
  int upstream = connect_local(upstream_port_);
  if (upstream < 0) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sockets_.push_back(upstream);
  }
  std::mutex write_mutex;
  // Responses flow back untouched.
  std::thread back([&] {
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(upstream, buffer, sizeof buffer, 0)) > 0) {
      std::lock_guard<std::mutex> lock(write_mutex);
      if (!send_all(client, std::string(buffer, static_cast<std::size_t>(n)))) break;
    }
    ::shutdown(client, SHUT_RDWR);
  });
  std::string pending;
  char buffer[65536];
  ssize_t n;
  bool open = true;
  while (open && (n = ::recv(client, buffer, sizeof buffer, 0)) > 0) {
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t end;
    while (open && (end = pending.find("\r\n\r\n")) != std::string::npos) {  // requests of a fetch carry no body
      const std::string head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      const std::string line = head.substr(0, head.find("\r\n"));
      const std::string target = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
      const bool is_list = target.find("list-type=2") != std::string::npos;
      (is_list ? list_requests : object_requests)++;
      std::string truncate_suffix;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        truncate_suffix = truncate_suffix_;
      }
      if (throttle_next > 0) {
        --throttle_next;
        ++throttled;
        const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
                                 "<Message>Please reduce your request rate.</Message></Error>";
        std::lock_guard<std::mutex> lock(write_mutex);
        send_all(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
      } else if (!is_list && !truncate_suffix.empty() && target.size() >= truncate_suffix.size() &&
                 target.compare(target.size() - truncate_suffix.size(), truncate_suffix.size(), truncate_suffix) == 0) {
        std::lock_guard<std::mutex> lock(write_mutex);
        send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a few bytes");
        ::shutdown(client, SHUT_RDWR);
        open = false;
      } else if (!send_all(upstream, head)) {
        open = false;
      }
    }
  }
  ::shutdown(upstream, SHUT_RDWR);
  back.join();
}

}  // namespace driftless::test
