# Cross build for arm64 (Raspberry Pi OS bookworm 64-bit, Debian 12 on a Pi) with Debian's cross
# toolchain (crossbuild-essential-arm64) and the :arm64 packages of the libraries, installed beside
# the build machine's own (dpkg --add-architecture arm64). script/build-arm64 uses it:
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Debian's multiarch layout: the arm64 libraries and their CMake packages are under
# /usr/lib/aarch64-linux-gnu, the headers shared in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# pkg-config (FindOpenSSL asks it first) must answer with the arm64 libraries, not the build
# machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
# Runs the tests' and tools' arm64 programs, if any are built, under qemu-user.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L /)
# The .deb says what it runs on (CPack otherwise asks dpkg for the build machine's architecture).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
