#pragma once
// tokens.json in the state directory: read at start, replaced atomically (temp file + rename),
// readable by its owner only (0600).
#include "wyze/session.hpp"

#include <cstddef>
#include <string>

namespace wyze {

/// Reads `path` whole: only a regular file of at most `limit` bytes (a FIFO would hang the start,
/// /dev/zero would never end). Empty with `problem` saying why otherwise; empty and no problem when
/// there is no such file.
std::string read_small_file(const std::string& path, std::size_t limit, std::string& problem);

/// Writes `text` to `directory/name` so that a crash leaves the old file or the new one, never half
/// of one (mode 0600, fsync, rename); returns what went wrong, or an empty string.
std::string write_file_atomically(const std::string& directory, const std::string& name, const std::string& text);

class state_file {
 public:
  explicit state_file(std::string directory);

  /// The saved session, or a fresh one with a new phone_id when there is none (or it is unreadable;
  /// `problem` then says why).
  session load(std::string& problem) const;

  /// Writes the session; returns what went wrong, or an empty string.
  std::string save(const session& s) const;

  std::string path() const { return directory_ + "/tokens.json"; }
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
};

}  // namespace wyze
