#pragma once
// The device list parsed while it is read: each device entry becomes a Camera as soon as its
// closing brace arrives, so memory holds one entry at a time, never the whole body or document.
#include "wyze/camera.hpp"
#include "wyze/http.hpp"
#include "wyze/result.hpp"

#include <memory>
#include <string_view>

namespace wyze {

class device_list_stream final : public body_sink {
 public:
  /// `thumbnails`: read the cameras' thumbnails (device_list_builder).
  explicit device_list_stream(bool thumbnails = false);
  ~device_list_stream() override;

  void write(std::string_view chunk) override;
  void finish() override;

  /// The cameras, or why the answer is not a device list (its envelope code, not JSON, …).
  result<device_list> take(unsigned status);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace wyze
