#include <gtest/gtest.h>

#include "realtime/errors.hpp"

using chat::Errc;

TEST(RealtimeErrors, UseTheDocumentedWording) {
  EXPECT_EQ(realtime::error_message(chat::make_error(Errc::recipient_not_found, "x"), "F"),
            "Recipient not found");
  EXPECT_EQ(realtime::error_message(chat::make_error(Errc::forbidden, "x"), "F"), "Access denied");
  EXPECT_EQ(realtime::error_message(chat::make_error(Errc::user_not_found, "x"), "F"),
            "Sender not found");
  EXPECT_EQ(realtime::error_message(chat::make_error(Errc::internal, "db exploded"),
                                    "Failed to send message"),
            "Failed to send message");
}

TEST(RealtimeErrors, NameTheInvalidField) {
  EXPECT_EQ(realtime::error_message(chat::invalid("message", "field required", "value_error.missing"), "F"),
            "message is required");
  EXPECT_EQ(realtime::error_message(chat::invalid("message", "message must not be empty"), "F"),
            "message must not be empty");
  EXPECT_EQ(realtime::error_message(chat::invalid("to_email", "value is not a valid email address"), "F"),
            "to_email: value is not a valid email address");
}
