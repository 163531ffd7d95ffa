#include "bridge/metrics_server.hpp"

#include "common/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <stdexcept>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace bridge {
namespace {

constexpr auto request_timeout = std::chrono::seconds(5);
// Scrapes served at once. More are closed at once: a LAN client opening thousands of idle
// connections must not spend the file descriptors the cloud and the broker need.
constexpr std::size_t max_scrapes = 16;
// After an accept error (EMFILE: no descriptor left), accepting again at once would spin the loop.
constexpr auto accept_backoff = std::chrono::milliseconds(500);

// One scrape: read a request, answer it, close. Bounded in time and size.
class scrape : public std::enable_shared_from_this<scrape> {
 public:
  scrape(tcp::socket socket, std::shared_ptr<const http_route> route, std::shared_ptr<std::size_t> active)
      : stream_(std::move(socket)), route_(std::move(route)), active_(std::move(active)) {
    ++*active_;
  }
  ~scrape() { --*active_; }
  scrape(const scrape&) = delete;
  scrape& operator=(const scrape&) = delete;

  void start() {
    parser_.header_limit(8192);
    parser_.body_limit(0);
    stream_.expires_after(request_timeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;
    const auto& request = parser_.get();
    http_answer answer = request.method() == http::verb::get
                             ? (*route_)(request.target())
                             : http_answer{405, "text/plain; charset=utf-8", "only GET\n"};
    response_.result(answer.status);
    response_.version(request.version());
    response_.set(http::field::content_type, answer.content_type);
    response_.keep_alive(false);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const http_route> route_;
  std::shared_ptr<std::size_t> active_;  ///< scrapes alive now, this one included
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

std::optional<listen_address> parse_listen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = listen.substr(0, colon), digits = listen.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535) return std::nullopt;
  boost::system::error_code bad;
  net::ip::make_address(std::string(host), bad);
  if (bad) return std::nullopt;
  return listen_address{std::string(host), static_cast<unsigned short>(value)};
}

struct metrics_server::impl : std::enable_shared_from_this<impl> {
  impl(const net::any_io_executor& executor, http_route r)
      : acceptor(executor), retry(executor), route(std::make_shared<const http_route>(std::move(r))) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) return self->accept_later(ec);
      if (*self->active < max_scrapes) std::make_shared<scrape>(std::move(socket), self->route, self->active)->start();
      // else: the socket closes here, at once
      self->accept();
    });
  }

  void accept_later(const beast::error_code& ec) {
    if (!accept_failed++)
      LOG_AT(warn, "bridge", "metrics.listen: cannot accept a connection (", ec.message(), "); trying again every ",
             accept_backoff.count(), " ms");
    retry.expires_after(accept_backoff);
    retry.async_wait([self = shared_from_this()](beast::error_code wait) {
      if (!wait && self->acceptor.is_open()) self->accept();
    });
  }

  tcp::acceptor acceptor;
  net::steady_timer retry;
  std::uint64_t accept_failed = 0;  ///< accept errors so far (the first is logged)
  std::shared_ptr<const http_route> route;
  std::shared_ptr<std::size_t> active = std::make_shared<std::size_t>(0);
};

metrics_server::metrics_server(const net::any_io_executor& executor, const std::string& listen, http_route route)
    : impl_(std::make_shared<impl>(executor, std::move(route))) {
  auto where = parse_listen(listen);
  if (!where) throw std::runtime_error("metrics.listen: \"" + listen + "\" is not address:port (e.g. 127.0.0.1:9105)");
  tcp::endpoint endpoint(net::ip::make_address(where->address), where->port);
  beast::error_code ec;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("metrics.listen: cannot listen on " + listen + ": " + ec.message());
  impl_->accept();
}

metrics_server::~metrics_server() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->retry.cancel();
}

unsigned short metrics_server::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace bridge
