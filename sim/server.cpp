#include "sim/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace sim {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Serves one client until it closes the connection or sends garbage.
void session(tcp::socket socket, ssl::context& tls, account& acct) {
  beast::error_code ec;
  ssl::stream<tcp::socket> stream(std::move(socket), tls);
  stream.handshake(ssl::stream_base::server, ec);
  if (ec) return;  // e.g. a client that does not trust our CA: its own error tells the story
  acct.connection_opened();
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    auto& in = parser.get();
    request req{std::string(in.method_string()), std::string(in.target()), {}, std::move(in.body())};
    for (const auto& h : in) req.headers[lower(h.name_string())] = std::string(h.value());
    response answer = acct.handle(req);
    if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
    if (answer.how == response::delivery::reset) {
      // No answer at all: SO_LINGER 0 turns the close into a TCP reset.
      stream.lowest_layer().set_option(net::socket_base::linger(true, 0), ec);
      stream.lowest_layer().close(ec);
      return;
    }
    http::response<http::string_body> out{static_cast<http::status>(answer.status), in.version()};
    out.set(http::field::server, "wyze-cloud-sim");
    out.set(http::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) out.set(name, value);
    out.keep_alive(in.keep_alive());
    out.body() = std::move(answer.body);
    out.prepare_payload();
    if (answer.how == response::delivery::truncated || answer.how == response::delivery::trickle) {
      std::ostringstream raw_text;
      raw_text << out;
      std::string raw = raw_text.str();
      std::size_t head = raw.size() - out.body().size();
      if (answer.how == response::delivery::truncated) {
        // The headers promise the whole body; half of it comes, then the connection drops.
        net::write(stream, net::buffer(raw.data(), head + out.body().size() / 2), ec);
      } else {
        // Slow-loris: headers, then one byte every 200 ms for at most a minute, while the client waits.
        net::write(stream, net::buffer(raw.data(), head), ec);
        for (std::size_t i = head; i < raw.size() && i < head + 300 && !ec; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          net::write(stream, net::buffer(raw.data() + i, 1), ec);
        }
      }
      stream.lowest_layer().close(ec);
      return;
    }
    if (answer.how == response::delivery::interim)
      net::write(stream, net::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25), ec);
    if (answer.how == response::delivery::huge_chunk_line) {
      // Chunked: the first chunk-size line carries 16 MiB of chunk extension, then the connection drops.
      std::ostringstream head;
      head << "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=";
      net::write(stream, net::buffer(head.str()), ec);
      std::string filler(std::size_t{64} * 1024, 'x');
      for (int i = 0; i < 256 && !ec; ++i) net::write(stream, net::buffer(filler), ec);
      stream.lowest_layer().close(ec);
      return;
    }
    http::write(stream, out, ec);
    if (!ec && answer.how == response::delivery::stale_follows) {
      // An answer nobody asked for, right behind the real one: a client that keeps the connection
      // would take it for the next request's answer.
      std::string stale = R"({"ts":1,"code":"1","msg":"","data":{"device_list":[]}})";
      std::string raw =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(stale.size()) +
          "\r\n\r\n" + stale;
      net::write(stream, net::buffer(raw), ec);
    }
    if (ec || !out.keep_alive() || answer.close_after) break;
  }
  stream.shutdown(ec);
}

}  // namespace

void serve(account& acct, const certificates& certs, const std::string& address, std::uint16_t port,
           const std::function<void(std::uint16_t)>& ready) {
  ssl::context tls(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.use_certificate_chain(net::buffer(certs.server_cert_pem));
  tls.use_private_key(net::buffer(certs.server_key_pem), ssl::context::pem);

  net::io_context io(1);
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address(address, ec), port);
  if (ec) throw std::runtime_error("--listen: \"" + address + "\" is not an IP address");
  acceptor.open(endpoint.protocol());
  acceptor.set_option(net::socket_base::reuse_address(true));
  acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  acceptor.listen();
  ready(acceptor.local_endpoint().port());
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    std::thread(session, std::move(socket), std::ref(tls), std::ref(acct)).detach();
  }
}

}  // namespace sim
