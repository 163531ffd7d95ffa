#pragma once
// tokens.json in the state directory: read at start, replaced atomically (temp file + rename),
// readable by its owner only (0600).
#include "wyze/session.hpp"

#include <string>

namespace wyze {

class state_file {
 public:
  explicit state_file(std::string directory);

  /// The saved session, or a fresh one with a new phone_id when there is none (or it is unreadable;
  /// `problem` then says why).
  session load(std::string& problem) const;

  /// Writes the session; returns what went wrong, or an empty string.
  std::string save(const session& s) const;

  std::string path() const { return directory_ + "/tokens.json"; }

 private:
  std::string directory_;
};

}  // namespace wyze
