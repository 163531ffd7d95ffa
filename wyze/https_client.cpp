#include "wyze/https_client.hpp"

#include "common/log.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <map>
#include <optional>
#include <stdexcept>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace wyze {
namespace {

struct target {
  std::string host, port, path;
};

result<target> split_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "https" || parsed->host().empty())
    // (Not the URL itself: a signed picture URL is a secret.)
    return error{failure::transport, "not an https:// URL (" + std::string(parsed ? parsed->scheme() : "unparsable") +
                                         "); only verified HTTPS is used"};
  target t{std::string(parsed->encoded_host_address()), parsed->has_port() ? std::string(parsed->port()) : "443",
           std::string(parsed->encoded_path())};
  if (!parsed->encoded_query().empty()) t.path += "?" + std::string(parsed->encoded_query());
  if (t.path.empty()) t.path = "/";
  // An IPv6 literal comes with brackets; the resolver and certificate check want it bare.
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  return t;
}

std::string describe(const beast::error_code& ec) {
  if (ec == beast::error::timeout || ec == net::error::operation_aborted)
    return "timed out (no answer within wyze.timeout; tried again at the next poll)";
  if (ec.category() == net::error::get_ssl_category()) {
    return "TLS failed (" + ec.message() + "); the certificate is not trusted or not for this host — see wyze.ca_file";
  }
  if (ec == http::error::body_limit) return "the answer is larger than wyze.max_response";
  if (ec == http::error::buffer_overflow || ec == http::error::header_limit)
    return "the answer's headers or chunk framing are larger than any real answer's (" + ec.message() + ")";
  return ec.message();
}

// A Beast body that hands each piece of the body to a body_sink as it arrives, so a large answer
// can be parsed while it is read instead of being held whole.
struct sink_body {
  using value_type = std::shared_ptr<body_sink>;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& sink) : sink_(sink) {}

    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto buffer : beast::buffers_range_ref(buffers)) {
        sink_->write(std::string_view(static_cast<const char*>(buffer.data()), buffer.size()));
        n += buffer.size();
      }
      ec = {};
      return n;
    }

    void finish(beast::error_code& ec) {
      sink_->finish();
      ec = {};
    }

   private:
    value_type& sink_;
  };
};

// The default sink: the body as a string (small answers: logins, refreshes).
struct string_sink final : body_sink {
  std::string text;
  void write(std::string_view chunk) override { text.append(chunk); }
};

// What the read buffer may hold at once: headers, chunk-size lines and trailers, and body bytes on
// their way to the sink. Beast 1.81 bounds neither chunk-size lines nor trailers by itself.
constexpr std::size_t max_read_buffer = std::size_t{256} * 1024;
// Interim (1xx) answers skipped before the real one; a server sending more is broken.
constexpr int max_interim_answers = 8;

// One TLS connection to one host:port; kept open between requests when the server allows.
struct connection {
  connection(const net::any_io_executor& executor, ssl::context& tls) : stream(executor, tls) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer{max_read_buffer};
};

using idle_connections = std::map<std::string, std::shared_ptr<connection>>;

// One request: on the idle connection to its host when there is one, else on a new one
// (resolve, connect, TLS); a reused connection that the server has closed meanwhile is
// replaced once, transparently.
class exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(net::any_io_executor executor, ssl::context& tls, ssl::context& wyze_tls, const https_settings& settings,
           idle_connections& idle, http_request request, http_handler done)
      : executor_(std::move(executor)),
        resolver_(executor_),
        resolve_timer_(executor_),
        tls_(tls),
        wyze_tls_(wyze_tls),
        settings_(settings),
        idle_(idle),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void start() {
    sink_ = request_.sink ? request_.sink : std::make_shared<string_sink>();
    auto parsed = split_url(request_.url);
    if (!parsed) return finish(parsed.error());
    target_ = std::move(parsed.value());
    prepare_request();
    if (auto it = idle_.find(key()); it != idle_.end()) {
      auto idle = std::move(it->second);
      idle_.erase(it);
      // Bytes that came while the connection was idle are no answer to this request: an answer
      // nobody asked for would be taken as this one's. Such a connection is not used.
      if (idle->buffer.size() == 0 && nothing_arrived(*idle)) {
        conn_ = std::move(idle);
        reused_ = true;
        return write_request();
      }
      LOG_AT(debug, "wyze", "the idle connection to ", key(),
             " received bytes nobody asked for (or was closed); opening a new one");
    }
    open_connection();
  }

 private:
  std::string key() const { return target_.host + ":" + target_.port; }
  std::size_t limit() const { return request_.max_body ? request_.max_body : settings_.max_response; }

  void open_connection() {
    reused_ = false;
    // Wyze's own hosts also trust the roots the bridge carries for them (SPEC 12); no other host does.
    conn_ = std::make_shared<connection>(executor_, is_wyze_host_name(target_.host) ? wyze_tls_ : tls_);
    if (!verify_peer_name()) return finish(error{failure::transport, "cannot set up TLS for " + target_.host});
    resolve_timer_.expires_after(settings_.timeout);
    resolve_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    auto instead = settings_.connect_to.find(target_.host);
    resolver_.async_resolve(instead == settings_.connect_to.end() ? target_.host : instead->second, target_.port,
                            [self = shared_from_this()](beast::error_code ec, const tcp::resolver::results_type& r) {
                              self->on_resolve(ec, r);
                            });
  }

  // Checks the certificate against the host name (or IP address) and sends SNI for names.
  bool verify_peer_name() {
    SSL* ssl = conn_->stream.native_handle();
    boost::system::error_code ec;
    net::ip::make_address(target_.host, ec);
    if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target_.host.c_str()) == 1;
    return SSL_set1_host(ssl, target_.host.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, target_.host.c_str()) == 1;
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    resolve_timer_.cancel();
    if (ec)
      return fail("cannot resolve " + target_.host + ": " + describe(ec) +
                  " (check the URL in the config and this machine's DNS)");
    beast::get_lowest_layer(conn_->stream).expires_after(settings_.timeout);
    beast::get_lowest_layer(conn_->stream)
        .async_connect(
            results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) { self->on_connect(ec); });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("cannot connect to " + target_.host + ":" + target_.port + ": " + describe(ec));
    beast::get_lowest_layer(conn_->stream).expires_after(settings_.timeout);
    conn_->stream.async_handshake(ssl::stream_base::client,
                                  [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("TLS handshake with " + target_.host + " failed: " + describe(ec));
    write_request();
  }

  void prepare_request() {
    outgoing_.method_string(request_.method);
    outgoing_.target(target_.path);
    outgoing_.version(11);
    // With the port when it is not 443 (RFC 9110 7.2), brackets around an IPv6 literal.
    std::string host = target_.host.find(':') != std::string::npos ? "[" + target_.host + "]" : target_.host;
    if (target_.port != "443") host.append(":").append(target_.port);
    outgoing_.set(http::field::host, host);
    outgoing_.set(http::field::user_agent, settings_.user_agent);
    outgoing_.set(http::field::content_type, "application/json");
    outgoing_.set(http::field::accept, "application/json");
    for (const auto& [name, value] : request_.headers) outgoing_.set(name, value);
    outgoing_.body() = std::move(request_.body);
    outgoing_.keep_alive(true);
    outgoing_.prepare_payload();
  }

  void write_request() {
    beast::get_lowest_layer(conn_->stream).expires_after(settings_.timeout);
    http::async_write(conn_->stream, outgoing_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  // A kept-alive connection the server closed meanwhile fails before any answer: open a new one.
  // (A timeout is not that: the server got the request and is slow.)
  bool retry_on_fresh_connection(const beast::error_code& ec) {
    bool closed_by_peer = ec == net::error::eof || ec == net::error::connection_reset ||
                          ec == net::error::broken_pipe || ec == ssl::error::stream_truncated ||
                          ec == http::error::end_of_stream;
    bool answered = (head_ && head_->got_some()) || (parser_ && parser_->got_some());
    if (!reused_ || !closed_by_peer || answered || interim_answers_ > 0) return false;
    LOG_AT(debug, "wyze", "the kept-alive connection to ", key(), " was closed by the server; reconnecting");
    open_connection();
    return true;
  }

  void on_write(beast::error_code ec) {
    if (ec) {
      if (retry_on_fresh_connection(ec)) return;
      return fail("sending the request failed: " + describe(ec));
    }
    read_answer();
  }

  // The header first, on its own: an interim answer (100 Continue, 103 Early Hints) comes before
  // the real one and is skipped; only the real answer's body reaches the sink.
  void read_answer() {
    parser_.reset();
    head_.emplace();
    head_->body_limit(limit());  // checked against Content-Length with the header
    beast::get_lowest_layer(conn_->stream).expires_after(settings_.timeout);
    http::async_read_header(conn_->stream, conn_->buffer, *head_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return read_failed(ec);
    if (unsigned status = head_->get().result_int(); status / 100 == 1 && status != 101) {
      if (++interim_answers_ > max_interim_answers) return fail("the server sent only interim (1xx) answers");
      return read_answer();
    }
    parser_.emplace(std::move(*head_));
    head_.reset();
    parser_->body_limit(limit());
    parser_->get().body() = sink_;
    http::async_read(conn_->stream, conn_->buffer, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return read_failed(ec);
    auto& message = parser_->get();
    http_response response;
    response.status = message.result_int();
    if (auto it = message.find("X-RateLimit-Remaining"); it != message.end())
      response.rate_limit_remaining = std::string(it->value());
    if (auto it = message.find("X-RateLimit-Reset-By"); it != message.end())
      response.rate_limit_reset_by = std::string(it->value());
    // Bytes beyond the answer would be read as the next request's answer: such a connection is
    // not kept.
    bool keep = message.keep_alive() && conn_->buffer.size() == 0;
    if (message.keep_alive() && !keep)
      LOG_AT(debug, "wyze", "the answer from ", key(), " was followed by ", conn_->buffer.size(),
             " more bytes; not reusing the connection");
    if (!request_.sink) response.body = std::move(static_cast<string_sink&>(*sink_).text);
    finish(std::move(response));
    if (keep) {
      beast::get_lowest_layer(conn_->stream).expires_never();
      idle_[key()] = std::move(conn_);
      return;
    }
    // A polite close; its outcome does not change the answer already delivered.
    auto closing = std::move(conn_);
    beast::get_lowest_layer(closing->stream).expires_after(std::chrono::seconds(2));
    closing->stream.async_shutdown([closing](beast::error_code) {});
  }

  // True when nothing came on an idle connection: a read that must not wait finds nothing (bytes
  // may also sit in the TLS layer's own buffers, which only a read can see).
  static bool nothing_arrived(connection& idle) {
    auto& socket = beast::get_lowest_layer(idle.stream).socket();
    beast::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return false;
    char probe[512];
    std::size_t got = idle.stream.read_some(net::buffer(probe), ec);
    bool quiet = got == 0 && ec == net::error::would_block;
    socket.non_blocking(false, ec);
    return quiet && !ec;
  }

  void read_failed(const beast::error_code& ec) {
    if (ec == http::error::body_limit && request_.max_body)
      return finish(error{failure::too_large, "the answer is larger than " + std::to_string(request_.max_body) +
                                                  " bytes, the most this request accepts"});
    if (!retry_on_fresh_connection(ec)) fail("reading the answer failed: " + describe(ec));
  }

  void fail(std::string reason) { finish(error{failure::transport, std::move(reason)}); }

  // Always through the loop, so `done` never runs inside send().
  void finish(result<http_response> outcome) {
    if (auto done = std::exchange(done_, nullptr))
      net::post(executor_,
                [done = std::move(done), outcome = std::move(outcome)]() mutable { done(std::move(outcome)); });
  }

  net::any_io_executor executor_;
  tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  ssl::context& tls_;
  ssl::context& wyze_tls_;
  const https_settings& settings_;
  idle_connections& idle_;
  http_request request_;
  http_handler done_;
  target target_;
  std::shared_ptr<connection> conn_;
  bool reused_ = false;
  int interim_answers_ = 0;
  http::request<http::string_body> outgoing_;
  std::shared_ptr<body_sink> sink_;
  std::optional<http::response_parser<http::empty_body>> head_;  ///< the answer's header, read first
  std::optional<http::response_parser<sink_body>> parser_;
};

}  // namespace

struct https_client::impl {
  net::any_io_executor executor;
  https_settings settings;
  ssl::context tls{ssl::context::tls_client};
  ssl::context wyze_tls{ssl::context::tls_client};  ///< the same, plus the roots carried for Wyze's hosts
  idle_connections idle{};                          ///< one kept-alive connection per host:port
};

namespace {

// TLS 1.2 at least, the chain verified against the system store and `ca_file`.
void set_up(ssl::context& tls, const https_settings& settings) {
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_default_verify_paths();
  if (!settings.ca_file.empty()) {
    boost::system::error_code ec;
    tls.load_verify_file(settings.ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load the CA bundle " + settings.ca_file + ": " + ec.message() +
                               " (it must be a PEM file)");
  }
  tls.set_verify_mode(ssl::verify_peer);
}

// The store for Wyze's hosts: the certificates of `from`'s store, shared rather than loaded again
// (a store of Debian's 144 roots costs about 0.8 MiB), the system's hashed directory as
// set_default_verify_paths adds it (SSL_CERT_DIR or the default), and then the carried roots.
void share_certificates(ssl::context& from, ssl::context& to) {
  X509_STORE* store = X509_STORE_new();
  if (!store) throw std::runtime_error("cannot set up TLS: out of memory");
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(SSL_CTX_get_cert_store(from.native_handle()));
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i)
    if (X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) X509_STORE_add_cert(store, cert);
  if (X509_LOOKUP* dir = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()))
    X509_LOOKUP_add_dir(dir, nullptr, X509_FILETYPE_DEFAULT);
  SSL_CTX_set_cert_store(to.native_handle(), store);  // the context owns it now
}

}  // namespace

https_client::https_client(net::any_io_executor executor, https_settings settings)
    : impl_(new impl{std::move(executor), std::move(settings)}) {
  set_up(impl_->tls, impl_->settings);
  SSL_CTX_set_min_proto_version(impl_->wyze_tls.native_handle(), TLS1_2_VERSION);
  share_certificates(impl_->tls, impl_->wyze_tls);
  impl_->wyze_tls.set_verify_mode(ssl::verify_peer);
  if (!impl_->settings.wyze_anchors.empty()) {
    boost::system::error_code ec;
    impl_->wyze_tls.add_certificate_authority(net::buffer(impl_->settings.wyze_anchors), ec);
    if (ec) throw std::runtime_error("cannot load the trust anchors for Wyze's hosts: " + ec.message());
  }
}

https_client::~https_client() = default;

void https_client::send(http_request request, http_handler done) {
  std::make_shared<exchange>(impl_->executor, impl_->tls, impl_->wyze_tls, impl_->settings, impl_->idle,
                             std::move(request), std::move(done))
      ->start();
}

}  // namespace wyze
