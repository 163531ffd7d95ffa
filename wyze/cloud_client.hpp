#pragma once
// The Wyze account as the bridge uses it: log in when needed, fetch the device list, refresh an
// expired token and retry once. All on the caller's event loop, through an http_transport.
#include "wyze/http.hpp"
#include "wyze/protocol.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace wyze {

struct account_settings {
  auth_mode auth = auth_mode::api_key;
  std::string email;
  std::string password;  ///< clear text, or "md5:<hex>" already hashed
  std::string key_id;
  std::string api_key;
  std::string auth_url = "https://auth-prod.api.wyze.com";
  std::string api_url = "https://api.wyzecam.com";
  std::string phone_id;  ///< a UUID kept stable across runs
};

class cloud_client {
 public:
  using now_ms_function = std::function<std::int64_t()>;

  cloud_client(http_transport& transport, account_settings settings, now_ms_function now_ms);

  /// Fetches the account's cameras, logging in or refreshing the token first when needed.
  void fetch_cameras(std::function<void(result<device_list>)> done);

  /// Logins performed since start.
  std::uint64_t logins() const { return logins_; }
  /// Token refreshes performed since start.
  std::uint64_t refreshes() const { return refreshes_; }

 private:
  using step_done = std::function<void(result<done>)>;
  using list_done = std::function<void(result<device_list>)>;

  void login(step_done next);
  void refresh(step_done next);
  void request_list(bool may_renew_token, list_done finished);
  void renew_token(step_done next);
  void post(std::string_view base, std::string_view path, std::string body,
            std::vector<std::pair<std::string, std::string>> headers, http_handler done);
  app_context context() const;

  http_transport& transport_;
  account_settings settings_;
  now_ms_function now_ms_;
  std::optional<tokens> tokens_;
  std::uint64_t logins_ = 0;
  std::uint64_t refreshes_ = 0;
};

}  // namespace wyze
