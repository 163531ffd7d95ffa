# A cross build on Debian 12 with Debian's cross toolchain (crossbuild-essential-<arch>) and the
# :<arch> packages of the libraries, installed beside the build machine's own (dpkg
# --add-architecture <arch>). Included by the per-architecture files, which set
# WYZE_BRIDGE_CROSS_TRIPLET, WYZE_BRIDGE_CROSS_PROCESSOR and WYZE_BRIDGE_CROSS_DEB_ARCH first.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${WYZE_BRIDGE_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${WYZE_BRIDGE_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${WYZE_BRIDGE_CROSS_TRIPLET}-g++)
# Debian's multiarch layout: the libraries and their CMake packages are under
# /usr/lib/<triplet>, the headers shared in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE ${WYZE_BRIDGE_CROSS_TRIPLET})
# pkg-config (FindOpenSSL asks it first) must answer with the target's libraries, not the build
# machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${WYZE_BRIDGE_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
# The .deb says what it runs on (CPack otherwise asks dpkg for the build machine's architecture).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${WYZE_BRIDGE_CROSS_DEB_ARCH})
