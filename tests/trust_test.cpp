// The roots the bridge carries for Wyze's hosts (SPEC 12): they are the right certificates, and a
// trust store without them still trusts them for Wyze's host names, and never for another host.
#include "common/hex.hpp"
#include "harness.hpp"
#include "wyze/https_client.hpp"
#include "wyze/trust_anchors.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>

using namespace harness;
using namespace std::chrono_literals;

namespace {

// SHA-256 of each certificate's DER, as `openssl x509 -fingerprint -sha256` prints it (lower case).
std::set<std::string> fingerprints(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::set<std::string> out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    X509_digest(cert, EVP_sha256(), digest, &size);
    out.insert(common::hex(digest, size));
    X509_free(cert);
  }
  return out;
}

// A system trust store with nothing in it: SSL_CERT_FILE and SSL_CERT_DIR, which OpenSSL's
// set_default_verify_paths reads, point at an empty file and an empty directory.
class empty_system_store {
 public:
  explicit empty_system_store(const temp_dir& dir) {
    std::filesystem::create_directories(dir.path() / "no-certs");
    std::ofstream(dir.file("no-certs.pem")).flush();
    remember("SSL_CERT_FILE", dir.file("no-certs.pem"));
    remember("SSL_CERT_DIR", dir.file("no-certs"));
  }
  ~empty_system_store() {
    for (const auto& [name, value] : saved_)
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
  }
  empty_system_store(const empty_system_store&) = delete;
  empty_system_store& operator=(const empty_system_store&) = delete;

 private:
  void remember(const std::string& name, const std::string& value) {
    const char* before = std::getenv(name.c_str());
    saved_.emplace_back(name, before ? std::optional<std::string>(before) : std::nullopt);
    setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// One GET with a client made for it: "HTTP <status>" or the transport's sentence.
std::string get(const wyze::https_settings& settings, const std::string& url) {
  boost::asio::io_context io;
  wyze::https_client client(io.get_executor(), settings);
  std::string outcome = "no answer";
  client.send({"GET", url, {}, ""}, [&](wyze::result<wyze::http_response> r) {
    outcome = r ? "HTTP " + std::to_string(r.value().status) : r.error().message;
  });
  io.run_for(20s);
  return outcome;
}

std::string pem_of(const std::string& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("the roots carried for Wyze's hosts are DigiCert Global Root CA and Global Root G2") {
  CHECK(fingerprints(wyze::wyze_root_certificates()) ==
        std::set<std::string>{
            // DigiCert Global Root CA (G1)
            "4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161",
            // DigiCert Global Root G2
            "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f",
        });
  // and they are what a client gets unless told otherwise
  CHECK(wyze::https_settings{}.wyze_anchors == wyze::wyze_root_certificates());
}

TEST_CASE("Wyze's host names are wyze.com, wyzecam.com and their subdomains, and no look-alike") {
  for (const char* host : {"api.wyzecam.com", "auth-prod.api.wyze.com", "wyze.com", "APP.WYZECAM.COM",
                           "api.wyzecam.com.", "wyze-mars-service.wyzecam.com"})
    CHECK_MESSAGE(wyze::is_wyze_host_name(host), host);
  for (const char* host : {"wyzecam.com.evil.example", "notwyze.com", "evilwyzecam.com", "localhost", "127.0.0.1",
                           "wyze-device-alarm-file-face.s3.us-west-2.amazonaws.com", ""})
    CHECK_FALSE_MESSAGE(wyze::is_wyze_host_name(host), host);
}

TEST_CASE("with an empty system store the carried anchors are trusted for Wyze's host names and never for others") {
  temp_dir dir;
  cloud sim(dir, 1);
  std::string port = std::to_string(sim.port());
  empty_system_store store(dir);

  // The simulator's CA stands in for the carried roots (nobody has DigiCert's key); its certificate
  // names api.wyzecam.com as well as localhost and 127.0.0.1.
  wyze::https_settings settings;
  settings.timeout = 10s;
  settings.wyze_anchors = pem_of(sim.ca_file());
  settings.connect_to = {{"api.wyzecam.com", "127.0.0.1"}};

  CHECK(get(settings, "https://api.wyzecam.com:" + port + "/sim/stats") == "HTTP 200");
  // The same server and certificate under a name that is not Wyze's: the anchors do not apply.
  auto localhost = get(settings, "https://localhost:" + port + "/sim/stats");
  CHECK_MESSAGE(localhost.find("TLS") != std::string::npos, localhost);
  auto address = get(settings, "https://127.0.0.1:" + port + "/sim/stats");
  CHECK_MESSAGE(address.find("TLS") != std::string::npos, address);

  // wyze.ca_file still trusts a CA for every host.
  wyze::https_settings with_ca_file;
  with_ca_file.timeout = 10s;
  with_ca_file.ca_file = sim.ca_file();
  CHECK(get(with_ca_file, "https://localhost:" + port + "/sim/stats") == "HTTP 200");

  // The real carried roots do not trust the simulator's CA, not even for Wyze's host names.
  wyze::https_settings carried;
  carried.timeout = 10s;
  carried.connect_to = settings.connect_to;
  auto wyze_name = get(carried, "https://api.wyzecam.com:" + port + "/sim/stats");
  CHECK_MESSAGE(wyze_name.find("TLS") != std::string::npos, wyze_name);
}
