#include "wyze/password.hpp"

#include <doctest/doctest.h>

TEST_CASE("MD5 digests match the RFC 1321 test vectors") {
  CHECK(wyze::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(wyze::md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("the API-key login sends the password hashed three times, each round hashing the hex") {
  CHECK(wyze::hash_password("abc", wyze::api_key_login_rounds) == "beeac7b932b2d5e23b905c5e6aa5614d");
}

TEST_CASE("the legacy login sends the password hashed twice") {
  CHECK(wyze::hash_password("abc", wyze::legacy_login_rounds) == "ec0405c5aef93e771cd80e0db180b88b");
}

TEST_CASE("a password given as md5:<hex> is sent as it is, in lower case") {
  CHECK(wyze::hash_password("md5:BEEAC7B932B2D5E23B905C5E6AA5614D", 3) == "beeac7b932b2d5e23b905c5e6aa5614d");
}
