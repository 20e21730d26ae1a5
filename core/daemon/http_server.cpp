#include "daemon/http_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <sstream>
#include <thread>

#include "driftless/value.hpp"

namespace driftless::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Parser = http::request_parser<http::string_body>;

std::string text(beast::string_view view) { return std::string(view.data(), view.size()); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

void configure(Parser& parser, const HttpLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_head));
  parser.body_limit(limits.max_body);
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::body_limit).category() && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

int status_of(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

std::string reason_of(int status) {
  switch (status) {
    case 413: return "the request body is larger than the limit";
    case 431: return "the request head is larger than the limit";
    case 503: return "busy: the connection limit is reached; only the health endpoints answer";
    default: return "malformed request";
  }
}

ServedResponse refusal(int status) { return json_message(status, reason_of(status)); }

// "/a%20b" -> "/a b"; a '%' without two hex digits stays as it is.
std::string percent_decoded(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(path.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string path_of(beast::string_view target) {
  const std::string_view view(target.data(), target.size());
  return percent_decoded(view.substr(0, view.find('?')));
}

std::string query_of(beast::string_view target) {
  const std::string_view view(target.data(), target.size());
  const auto mark = view.find('?');
  return mark == std::string_view::npos ? "" : std::string(view.substr(mark + 1));
}

ServedRequest to_request(Parser::value_type& message) {
  ServedRequest r;
  r.method = text(message.method_string());
  r.path = path_of(message.target());
  r.query = query_of(message.target());
  for (const auto& field : message) r.headers.emplace_back(text(field.name_string()), text(field.value()));
  r.body = std::move(message.body());
  return r;
}

}  // namespace

ServedResponse json_message(int status, std::string_view text) {
  Object o;
  o.set("message", std::string(text));
  return {status, "application/json", to_json(Value(std::move(o))) + "\n", {}};
}

std::string ServedRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return "";
}

std::string ServedRequest::param(std::string_view name) const {
  std::vector<std::string> values = params(name);
  return values.empty() ? "" : std::move(values.front());
}

std::vector<std::string> ServedRequest::params(std::string_view name) const {
  std::vector<std::string> out;
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    std::replace(key.begin(), key.end(), '+', ' ');
    if (percent_decoded(key) != name) continue;
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    out.push_back(percent_decoded(value));
  }
  return out;
}

Result<ServedRequest> parse_http_request(std::string_view bytes, const HttpLimits& limits) {
  Parser parser;
  configure(parser, limits);
  parser.eager(true);
  while (!parser.is_done()) {
    beast::error_code ec;
    const std::size_t used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == http::error::need_more || (!ec && used == 0)) return fail(ErrorCode::invalid_input, "400 the request is incomplete");
    if (ec) return fail(ErrorCode::invalid_input, std::to_string(status_of(ec)) + " " + ec.message());
  }
  return to_request(parser.get());
}

struct HttpServer::State {
  State(HttpHandler h, HttpLimits l) : handler(std::move(h)), limits(std::move(l)) {}
  void accept();

  // Declared before the io_context: connections still pending in it when it
  // is destroyed count themselves out of `connections` as they go.
  HttpHandler handler;
  HttpLimits limits;
  std::atomic<std::size_t> connections{0};
  asio::io_context io{2};
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
};

namespace {

// One client connection, on its own strand: head, body, response, repeat.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const HttpHandler& handler, const HttpLimits& limits, std::atomic<std::size_t>& count,
             bool reserved)
      : stream_(std::move(socket)), handler_(handler), limits_(limits), count_(count), reserved_(reserved) {}
  ~Connection() { --count_; }

  void read_head() {
    parser_.emplace();
    configure(*parser_, limits_);
    stream_.expires_after(reserved_ ? limits_.reserved_head_timeout : limits_.head_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_head(ec); });
  }

 private:
  void on_head(beast::error_code ec) {
    if (ec) return is_parse_error(ec) ? respond(refusal(status_of(ec)), false) : close();
    ++requests_;
    const auto& head = parser_->get();
    if (reserved_ && !serves_from_reserve(head)) return respond(refusal(503), parser_->is_done());
    if (parser_->is_done()) return dispatch();
    if (iequals(text(head[http::field::expect]), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(limits_.write_timeout);
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared_from_this()](beast::error_code e, std::size_t) {
                                 if (e) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  bool serves_from_reserve(const Parser::value_type& head) const {
    if (head.method() != http::verb::get || !parser_->is_done()) return false;
    const std::string path = path_of(head.target());
    return std::find(limits_.reserved_paths.begin(), limits_.reserved_paths.end(), path) != limits_.reserved_paths.end();
  }

  void read_body() {
    stream_.expires_after(limits_.body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return is_parse_error(ec) ? self->respond(refusal(status_of(ec)), false) : self->close();
      self->dispatch();
    });
  }

  void dispatch() {
    const bool keep_alive = parser_->keep_alive() && !reserved_ && requests_ < limits_.max_requests_per_connection;
    ServedResponse response;
    try {
      response = handler_(to_request(parser_->get()));
    } catch (const std::exception&) {
      response = json_message(500, "internal error");
    }
    respond(std::move(response), true, keep_alive);
  }

  // `complete`: the whole request was read, so the connection may be reused.
  void respond(ServedResponse response, bool complete, bool keep_alive = false) {
    if (response.stream) return start_stream(std::move(response));
    auto message = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), 11);
    message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive && complete);
    message->prepare_payload();
    stream_.expires_after(limits_.write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, complete](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (message->keep_alive()) return self->read_head();
                        if (complete) return self->close();
                        self->linger();
                      });
  }

  // A streamed body ends with the connection, so it needs neither a length nor chunks.
  void start_stream(ServedResponse response) {
    body_stream_ = std::move(response.stream);
    http::response<http::empty_body> head(static_cast<http::status>(response.status), 11);
    head.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.set(http::field::connection, "close");
    std::ostringstream out;
    out << head.base();
    write_stream(out.str());
    watch_for_close();
  }

  // The client sends nothing more; its end of the connection closing ends the
  // stream at once instead of at the next write.
  void watch_for_close() {
    stream_.socket().async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->watch_for_close();
    });
  }

  void write_stream(std::string bytes) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, asio::buffer(*data), [self = shared_from_this(), data](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->wait_stream();
    });
  }

  void wait_stream() {
    stream_.expires_never();
    if (!poll_) poll_.emplace(stream_.get_executor());
    poll_->expires_after(limits_.stream_poll);
    poll_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->stream_.socket().is_open()) return self->close();
      std::optional<std::string> next = self->body_stream_->take();
      if (!next) return self->close();
      if (next->empty()) return self->wait_stream();
      self->write_stream(std::move(*next));
    });
  }

  // After refusing a request whose body is still arriving: stop sending, and
  // read and drop what the client still sends for a moment, so the answer is
  // not lost to a reset; nothing read is kept.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(discard_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    if (poll_) poll_->cancel();
    if (!stream_.socket().is_open()) return;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const HttpHandler& handler_;
  const HttpLimits& limits_;
  std::atomic<std::size_t>& count_;
  const bool reserved_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::size_t requests_ = 0;
  std::array<char, 4096> discard_{};
  std::shared_ptr<ResponseStream> body_stream_;
  std::optional<asio::steady_timer> poll_;
};

}  // namespace

void HttpServer::State::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      const std::size_t open = connections.load();
      if (open < limits.max_connections) {
        ++connections;
        const bool reserved = open + limits.reserved_connections >= limits.max_connections;
        std::make_shared<Connection>(std::move(socket), handler, limits, connections, reserved)->read_head();
      }
      // else: the socket closes as it goes out of scope
    }
    accept();
  });
}

HttpServer::HttpServer(HttpHandler handler, HttpLimits limits)
    : state_(std::make_unique<State>(std::move(handler), std::move(limits))) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::start(const std::string& listen) {
  const auto refused = [&] {
    return fail(ErrorCode::unavailable,
                "cannot listen on " + listen + " (in use, or not an address of this machine); set 'listen' in the config");
  };
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return refused();
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  const auto endpoints = tcp::resolver(state_->io).resolve(host, listen.substr(colon + 1), tcp::resolver::passive, ec);
  if (ec) return refused();
  auto& acceptor = state_->acceptor;
  for (const auto& entry : endpoints) {
    ec.clear();
    acceptor.open(entry.endpoint().protocol(), ec);
    // SO_REUSEADDR only, never SO_REUSEPORT: no other process may share the port.
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(entry.endpoint(), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
    beast::error_code ignored;
    acceptor.close(ignored);
  }
  if (ec || !acceptor.is_open()) return refused();
  port_ = acceptor.local_endpoint().port();
  state_->accept();
  for (int i = 0; i < 2; ++i) state_->threads.emplace_back([state = state_.get()] { state->io.run(); });
  return {};
}

void HttpServer::stop() {
  if (!state_) return;
  state_->io.stop();
  for (auto& t : state_->threads) t.join();
  state_.reset();  // closes the listening socket and every connection
}

}  // namespace driftless::core
