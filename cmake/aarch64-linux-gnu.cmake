# arm64: Raspberry Pi OS bookworm 64-bit, Debian 12 on a Pi (script/build-cross arm64).
set(WYZE_BRIDGE_CROSS_TRIPLET aarch64-linux-gnu)
set(WYZE_BRIDGE_CROSS_PROCESSOR aarch64)
set(WYZE_BRIDGE_CROSS_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
