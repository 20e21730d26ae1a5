#include <gtest/gtest.h>

#include "driftless/object.hpp"
#include "driftless/value.hpp"

using namespace driftless;

TEST(Value, JsonRoundTripKeepsKeyOrderAndTypes) {
  auto parsed = parse_json(R"({"b":1,"a":[true,null,2.5,"x"],"big":9223372036854775807,"c":{}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(to_json(*parsed), R"({"b":1,"a":[true,null,2.5,"x"],"big":9223372036854775807,"c":{}})");
  EXPECT_TRUE(parsed->find("b")->is_int());
  EXPECT_FALSE(parsed->find("a")->as_array()[2].is_int());
}

TEST(Value, InvalidJsonNamesTheOffset) {
  auto parsed = parse_json(R"({"a": })");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("byte 6"), std::string::npos) << parsed.error().message;
}

TEST(Value, ObjectEqualityIgnoresKeyOrder) {
  EXPECT_EQ(*parse_json(R"({"a":1,"b":2})"), *parse_json(R"({"b":2,"a":1})"));
  EXPECT_FALSE(*parse_json(R"({"a":1})") == *parse_json(R"({"a":"1"})"));
}

TEST(KubeObject, IdentityAndLabels) {
  KubeObject o{*parse_json(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"}})"), {}};
  EXPECT_EQ(o.id(), "Deployment/shop/web");
  EXPECT_EQ(o.group(), "apps");
  labels_of(o.body).set("team", "a");
  EXPECT_EQ(o.body.at_path({"metadata", "labels", "team"})->as_string(), "a");
}
