#pragma once
// What the bridge remembers about its Wyze session across restarts: the stable phone_id, the
// tokens, and the login throttle and rate-limit pause that keep it from flooding or locking the
// account. Pure values and rules; state_file.hpp reads and writes them.
#include "wyze/protocol.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wyze {

struct session {
  std::string phone_id;
  std::optional<tokens> current;
  std::int64_t tokens_issued_ms = 0;  ///< when `current` was obtained (login or refresh)

  std::int64_t last_login_ms = 0;       ///< last login attempt, successful or not
  int login_failures = 0;               ///< failed logins in a row
  bool credentials_refused = false;     ///< the last login was refused for its credentials
  std::string credentials_fingerprint;  ///< which credentials were refused (a hash, never the secret)

  std::int64_t paused_until_ms = 0;  ///< no call before this: Wyze's rate limit
  std::string pause_reason;
  /// The event list's own pause (its host answers 1011 on its own): it stops only the event poll.
  std::int64_t events_paused_until_ms = 0;
  std::string events_pause_reason;
  /// The device-management and toggle APIs' own pause (SPEC §11): it stops only their calls.
  std::int64_t devicemgmt_paused_until_ms = 0;
  std::string devicemgmt_pause_reason;
};

/// No rate-limit pause lasts longer than this, whatever the cloud's header says.
inline constexpr std::int64_t max_pause_ms = 24LL * 3600 * 1000;

/// Saved times that cannot be right at `now_ms` (a clock that was ahead, a Reset-By header in the
/// year 9999): a pause beyond max_pause_ms is dropped, a last login in the future is taken as now.
/// Returns what was corrected, for the log (empty when nothing was).
std::string correct_saved_times(session& s, std::int64_t now_ms);

/// Tokens that say nothing of their life (not a JWT) are refreshed when older than this: Wyze's
/// support page gives access tokens 2 days.
inline constexpr std::int64_t refresh_after_ms = 36LL * 3600 * 1000;

/// What an access token that is a JWT (`header.payload.signature`, the payload base64url JSON)
/// says of its life: `exp` and, when it has one, `iat`, in ms since the epoch. Today's access
/// tokens are JWTs that live about 6,000 s (shauntarves/wyze-sdk #175, SecKatie/ha-wyzeapi #612).
struct token_life {
  std::int64_t expires_ms = 0;
  std::optional<std::int64_t> issued_ms;
};
std::optional<token_life> jwt_life(std::string_view token);

/// When the current access token is refreshed. A JWT: ahead of its own `exp` by a tenth of its life
/// (5 min at most), its life measured on the cloud's clock (`exp` − `iat`, less the second either
/// may have been rounded by) from when the bridge got it, so a clock that is off does not matter; refresh_after_ms at
/// the latest. Any other token, or a JWT that seems already expired on arrival and has no `iat`: refresh_after_ms after
/// it was issued (a 2001 still renews it if it expires sooner). 0 without tokens.
std::int64_t refresh_due_ms(const session& s);
/// When the current access token expires by the bridge's clock, when it is a JWT that says so.
std::optional<std::int64_t> token_expires_ms(const session& s);
/// Refresh tokens live 30 days; older tokens are dropped and a login follows.
inline constexpr std::int64_t tokens_expire_after_ms = 29LL * 24 * 3600 * 1000;

/// The earliest time the next login may start: one login per 30 s; after failures doubling to
/// 5 min; after refused credentials one per hour, unless they changed since (then 30 s).
std::int64_t next_login_allowed_ms(const session& s, std::string_view fingerprint);

/// A fingerprint of the credentials in use, to notice a fixed config:
/// `pbkdf2-sha256$<iterations>$<salt>$<hash>`, salted and slow, so a copy of tokens.json does not
/// allow an offline guess of the password. `like` is an earlier fingerprint whose salt is reused
/// (so the same credentials give the same fingerprint); without one, the salt is new.
std::string credentials_fingerprint(std::string_view email, std::string_view password, std::string_view key_id,
                                    std::string_view api_key, std::string_view like = {});

/// PBKDF2-HMAC-SHA256 iterations of credentials_fingerprint (OWASP's figure for it, 2023).
inline constexpr int fingerprint_iterations = 600'000;

/// The session as JSON (what tokens.json holds).
std::string serialize(const session& s);

/// Reads tokens.json; nullopt when it is not a session (the caller starts a fresh one).
std::optional<session> parse_session(std::string_view json);

/// Parses X-RateLimit-Reset-By (`Thu Nov 26 10:00:00 GMT 2026`) into ms since the epoch.
std::optional<std::int64_t> parse_reset_by(std::string_view text);

/// A fresh random UUID for phone_id.
std::string random_uuid();

}  // namespace wyze
