// SettingsSchema: a plugin's keys declared once with the fields they fill.
#include <gtest/gtest.h>

#include <cctype>
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

struct Limits {
  std::size_t max_size = 10;
  std::chrono::milliseconds timeout{1000};
};

SettingsSchema<Limits> limits_schema() {
  return SettingsSchema<Limits>()
      .key(ConfigKey("maxSize", ConfigType::integer, "s").default_to(10), &Limits::max_size, Minimum::positive())
      .key(ConfigKey("timeout", ConfigType::duration, "t").default_to("1s"), &Limits::timeout, Minimum::positive());
}

struct Range {
  int low = 0;
  int high = 0;
};

struct Tool {
  std::string host;
  int copies = 3;
  std::vector<std::string> plain;  ///< upper-cased by its converter
  Range range;
  Limits limits;
};

Result<std::string> host_of(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return fail(ErrorCode::invalid_input, "url '" + url + "' has no scheme");
  return url.substr(start + 3);
}

Result<std::vector<std::string>> shouted(const std::string& key, const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (auto word : words) {
    if (word.empty()) return fail(ErrorCode::invalid_input, key + ": an empty word");
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(word);
  }
  return out;
}

SettingsSchema<Tool> tool_schema() {
  return SettingsSchema<Tool>()
      .key(ConfigKey("url", ConfigType::string, "u"), &Tool::host, host_of)
      .key(ConfigKey("copies", ConfigType::integer, "c"), &Tool::copies, Minimum::at_least(2))
      .key(ConfigKey("plain", ConfigType::string_list, "p"), &Tool::plain, shouted)
      .block(ConfigKey("range", ConfigType::object, "r"), &Tool::range,
             SettingsSchema<Range>()
                 .key(ConfigKey("low", ConfigType::integer, "l"), &Range::low)
                 .key(ConfigKey("high", ConfigType::integer, "h"), &Range::high),
             [](Range range) -> Result<Range> {
               if (range.low > range.high) return fail(ErrorCode::invalid_input, "range: low is above high");
               return range;
             })
      .part(&Tool::limits, limits_schema());
}

TEST(SettingsSchema, AConverterTurnsTheValueIntoTheField) {
  auto s = tool_schema().read(config(R"({"url":"https://example.com","plain":["a","bc"],"range":{"low":1,"high":5}})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->host, "example.com");
  EXPECT_EQ(s->plain, (std::vector<std::string>{"A", "BC"}));
  EXPECT_EQ(s->range.high, 5);
  // The converter's error is the key's error, as it words it (with the key's name when it takes it).
  EXPECT_EQ(tool_schema().read(config(R"({"url":"example.com"})")).error().message, "url 'example.com' has no scheme");
  EXPECT_EQ(tool_schema().read(config(R"({"plain":["a",""]})")).error().message, "plain: an empty word");
  EXPECT_EQ(tool_schema().read(config(R"({"range":{"low":6,"high":5}})")).error().message, "range: low is above high");
}

TEST(SettingsSchema, ANumberBelowItsMinimumIsAnErrorNamingTheKey) {
  EXPECT_EQ(tool_schema().read(config(R"({"copies":1})")).error().message, "copies must be at least 2");
  EXPECT_EQ(tool_schema().read(config(R"({"maxSize":0})")).error().message, "maxSize must be positive");
  // Below the minimum comes before "must not be negative" of an unsigned field.
  EXPECT_EQ(tool_schema().read(config(R"({"maxSize":-3})")).error().message, "maxSize must be positive");
  EXPECT_EQ(tool_schema().read(config(R"({"timeout":0})")).error().message, "timeout must be positive");
  auto fine = tool_schema().read(config(R"({"copies":2,"maxSize":1,"timeout":1})"));
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_EQ(fine->limits.max_size, 1u);
}

struct Pair {
  Limits first;
  Limits second;
  Range range;
};

TEST(SettingsSchema, APartsKeysSitAtTheSameLevelAndASharedKeyIsListedOnceAndFillsBoth) {
  const auto schema = SettingsSchema<Pair>()
                          .part(&Pair::first, limits_schema())
                          .part(&Pair::second, limits_schema(), {"timeout"});
  const auto keys = schema.keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].name, "maxSize");
  EXPECT_EQ(keys[1].name, "timeout");
  auto s = schema.read(config(R"({"maxSize":7,"timeout":5000})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->first.max_size, 7u);
  EXPECT_EQ(s->second.max_size, 7u);
  EXPECT_EQ(s->first.timeout.count(), 5000);
  EXPECT_EQ(s->second.timeout.count(), 1000);  // left out of the second part
}

TEST(SettingsSchema, AKeyDeclaredTwiceIsRefusedUnlessTwoPartsDeclareItAlike) {
  EXPECT_THROW(SettingsSchema<Range>()
                   .key(ConfigKey("low", ConfigType::integer, "l"), &Range::low)
                   .key(ConfigKey("low", ConfigType::integer, "l"), &Range::high),
               std::logic_error);
  auto other = SettingsSchema<Limits>().key(ConfigKey("maxSize", ConfigType::integer, "another doc"), &Limits::max_size);
  EXPECT_THROW(SettingsSchema<Pair>().part(&Pair::first, limits_schema()).part(&Pair::second, other), std::logic_error);
}

}  // namespace
