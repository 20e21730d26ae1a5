// SettingsSchema: a plugin's keys declared once with the fields they fill.
#include <gtest/gtest.h>

#include <stdexcept>

#include "driftless/toolkit/settings.hpp"

namespace {

using namespace driftless;

enum class Mode { fast, safe };

struct Who {
  std::string user;
  std::vector<std::string> groups;
};

struct Settings {
  std::string path = "unset";
  bool prune = true;
  std::size_t workers = 4;
  std::chrono::milliseconds timeout{1000};
  std::map<std::string, std::string> labels;
  Value values;
  Who who;
  Mode mode = Mode::safe;
};

SettingsSchema<Settings> schema() {
  return SettingsSchema<Settings>()
      .key(ConfigKey("path", ConfigType::path, "p"), &Settings::path)
      .key(ConfigKey("prune", ConfigType::boolean, "b"), &Settings::prune)
      .key(ConfigKey("workers", ConfigType::integer, "n"), &Settings::workers)
      .key(ConfigKey("timeout", ConfigType::duration, "d"), &Settings::timeout)
      .key(ConfigKey("labels", ConfigType::map, "m"), &Settings::labels)
      .key(ConfigKey("values", ConfigType::any, "v"), &Settings::values)
      .block(ConfigKey("who", ConfigType::object, "o"), &Settings::who,
             SettingsSchema<Who>()
                 .key(ConfigKey("user", ConfigType::string, "u").required(), &Who::user)
                 .key(ConfigKey("groups", ConfigType::string_list, "g"), &Who::groups))
      .choice(ConfigKey("mode", ConfigType::string, "c"), &Settings::mode, {{"fast", Mode::fast}, {"safe", Mode::safe}})
      .retired("old", "use path");
}

Value config(const std::string& json) {
  auto parsed = parse_json(json);
  EXPECT_TRUE(parsed.ok()) << json;
  return *parsed;
}

TEST(SettingsSchema, EveryKeyFillsItsField) {
  auto s = schema().read(config(R"({"path":"/out","prune":false,"workers":9,"timeout":2500,"labels":{"a":"b"},
      "values":{"x":[1,2]},"who":{"user":"tenant-a","groups":["dev","ops"]},"mode":"fast"})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->path, "/out");
  EXPECT_FALSE(s->prune);
  EXPECT_EQ(s->workers, 9u);
  EXPECT_EQ(s->timeout.count(), 2500);
  EXPECT_EQ(s->labels.at("a"), "b");
  EXPECT_EQ(to_json(s->values), R"({"x":[1,2]})");
  EXPECT_EQ(s->who.user, "tenant-a");
  EXPECT_EQ(s->who.groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ(s->mode, Mode::fast);
}

TEST(SettingsSchema, AbsentKeysKeepTheFieldsDefaults) {
  auto s = schema().read(config("{}"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->path, "unset");
  EXPECT_TRUE(s->prune);
  EXPECT_EQ(s->workers, 4u);
  EXPECT_EQ(s->mode, Mode::safe);
}

TEST(SettingsSchema, KeysDescribeTheBlockForTheCoreAndTheReference) {
  const auto keys = schema().keys();
  ASSERT_EQ(keys.size(), 9u);
  EXPECT_EQ(keys[6].name, "who");
  ASSERT_EQ(keys[6].children.size(), 2u);
  EXPECT_TRUE(keys[6].children[0].is_required);
  EXPECT_EQ(keys[7].choices, (std::vector<std::string>{"fast", "safe"}));
  EXPECT_EQ(keys[8].retired_because, "use path");
}

TEST(SettingsSchema, ANegativeNumberForAnUnsignedFieldIsAnError) {
  auto s = schema().read(config(R"({"workers":-2})"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "workers must not be negative, not -2");
}

TEST(SettingsSchema, AKeyWhoseTypeCannotFillItsFieldIsRefusedWhenDeclared) {
  EXPECT_THROW(SettingsSchema<Settings>().key(ConfigKey("path", ConfigType::boolean, "b"), &Settings::path), std::logic_error);
  EXPECT_THROW(SettingsSchema<Settings>().key(ConfigKey("workers", ConfigType::duration, "d"), &Settings::workers),
               std::logic_error);
}

}  // namespace
