#pragma once
// The picture downloads (SPEC §8): the newest picture of each camera, one download at a time (a
// burst of pictures never becomes a burst of connections), and one more try for a failure that may
// not repeat. Signed URLs are kept here only: never logged.
#include "bridge/actions.hpp"
#include "wyze/result.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace bridge {

class picture_queue {
 public:
  struct job {
    std::string camera;
    std::string url;  ///< signed: never logged
    std::int64_t time_ms = 0;
    int attempt = 1;
  };

  /// The newest picture of `camera`: it replaces an older one still waiting, and is dropped when
  /// the one waiting or downloading is as new.
  void add(const std::string& camera, std::string url, std::int64_t time_ms);
  /// Starts the next download (act::download, at most `max_bytes`) unless one runs; false when
  /// none runs afterwards (nothing was waiting).
  bool start(actions& out, std::size_t max_bytes);
  /// The download of `camera` answered: its job, or nullopt when it is not the one running.
  std::optional<job> finish(const std::string& camera);
  /// After `failed`: queued once more at the back, unless it was the second try or the failure
  /// will not change (too large, not an image); true when queued.
  bool retry(job failed_job, const wyze::error& failed);

  std::size_t waiting() const { return waiting_.size(); }
  bool downloading() const { return running_.has_value(); }

 private:
  std::deque<job> waiting_;  ///< at most one per camera: the newest
  std::optional<job> running_;
};

}  // namespace bridge
