#pragma once
// tokens.json in the state directory: read at start, replaced atomically (temp file + rename),
// readable by its owner only (0600).
#include "wyze/result.hpp"
#include "wyze/session.hpp"

#include <cstddef>
#include <string>

namespace wyze {

/// Reads `path` whole: only a regular file of at most `limit` bytes (a FIFO would hang the start,
/// /dev/zero would never end), else the error (failure::file) saying why. No such file: empty text.
result<std::string> read_small_file(const std::string& path, std::size_t limit);

/// Writes `text` to `directory/name` so that a crash leaves the old file or the new one, never half
/// of one (mode 0600, fsync, rename); the error (failure::file) names the path and what to do.
result<done> write_file_atomically(const std::string& directory, const std::string& name, const std::string& text);

class state_file {
 public:
  explicit state_file(std::string directory);

  /// The saved session, a fresh one (fresh()) when there is none, or why it cannot be read (the
  /// caller then starts a fresh one: one login).
  result<session> load() const;
  /// A new session: no tokens, a new phone_id.
  static session fresh();

  /// Writes the session.
  result<done> save(const session& s) const;

  std::string path() const { return directory_ + "/tokens.json"; }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
};

}  // namespace wyze
