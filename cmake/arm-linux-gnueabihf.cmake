# armhf: Raspberry Pi OS bookworm 32-bit (ARMv7 and later; Debian's armhf is ARMv7, so not the Pi 1
# or Zero of ARMv6) (script/build-cross armhf).
set(WYZE_BRIDGE_CROSS_TRIPLET arm-linux-gnueabihf)
set(WYZE_BRIDGE_CROSS_PROCESSOR arm)
set(WYZE_BRIDGE_CROSS_DEB_ARCH armhf)
# GCC notes on 32-bit ARM that std::map's iterators are passed as GCC 7.1 began to pass them: a
# fact about old binaries (none is linked here), not a finding (-Wpsabi).
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
