// Every message of the loyalty.v1 schema round-trips through the binary wire format and through
// protobuf's JSON mapping without losing a field. Messages are filled by reflection, so a message
// or field added later is covered without touching this test.
#include <catch2/catch.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "loyalty/v1/catalog.pb.h"
#include "loyalty/v1/common.pb.h"
#include "loyalty/v1/events.pb.h"
#include "loyalty/v1/pos_api.pb.h"
#include "loyalty/v1/sync.pb.h"

namespace {

namespace pb = google::protobuf;

// Fills every field of `message` with a distinct non-default value, recursing into sub-messages
// up to `depth`. For a oneof, `oneof_choice` picks which member is set (modulo the member count).
void fill(pb::Message& message, int depth, int oneof_choice) {
    const pb::Descriptor* descriptor = message.GetDescriptor();
    const pb::Reflection* reflection = message.GetReflection();
    if (descriptor->full_name() == "google.protobuf.Timestamp") {
        reflection->SetInt64(&message, descriptor->FindFieldByName("seconds"), 1'795'000'000 + depth);
        reflection->SetInt32(&message, descriptor->FindFieldByName("nanos"), 123'000'000);
        return;
    }
    for (int i = 0; i < descriptor->field_count(); ++i) {
        const pb::FieldDescriptor* field = descriptor->field(i);
        if (const pb::OneofDescriptor* oneof = field->real_containing_oneof()) {
            if (oneof->field(oneof_choice % oneof->field_count()) != field) continue;
        }
        const int n = field->number();
        const int repeats = field->is_repeated() ? 2 : 1;
        for (int r = 0; r < repeats; ++r) {
            const bool add = field->is_repeated();
            switch (field->cpp_type()) {
                case pb::FieldDescriptor::CPPTYPE_INT32:
                    add ? reflection->AddInt32(&message, field, -n - r) : reflection->SetInt32(&message, field, -n);
                    break;
                case pb::FieldDescriptor::CPPTYPE_INT64:
                    add ? reflection->AddInt64(&message, field, -(1LL << 40) - n - r)
                        : reflection->SetInt64(&message, field, -(1LL << 40) - n);
                    break;
                case pb::FieldDescriptor::CPPTYPE_UINT32:
                    add ? reflection->AddUInt32(&message, field, 4'000'000'000U + n + r)
                        : reflection->SetUInt32(&message, field, 4'000'000'000U + n);
                    break;
                case pb::FieldDescriptor::CPPTYPE_UINT64:
                    add ? reflection->AddUInt64(&message, field, (1ULL << 63) + n + r)
                        : reflection->SetUInt64(&message, field, (1ULL << 63) + n);
                    break;
                case pb::FieldDescriptor::CPPTYPE_DOUBLE:
                case pb::FieldDescriptor::CPPTYPE_FLOAT:
                    FAIL("loyalty.v1 has no floating-point fields, but " << field->full_name() << " is one");
                    break;
                case pb::FieldDescriptor::CPPTYPE_BOOL:
                    add ? reflection->AddBool(&message, field, true) : reflection->SetBool(&message, field, true);
                    break;
                case pb::FieldDescriptor::CPPTYPE_ENUM: {
                    const pb::EnumDescriptor* type = field->enum_type();
                    const pb::EnumValueDescriptor* value = type->value(type->value_count() - 1 - r % 2);
                    add ? reflection->AddEnum(&message, field, value) : reflection->SetEnum(&message, field, value);
                    break;
                }
                case pb::FieldDescriptor::CPPTYPE_STRING: {
                    // Non-ASCII text and every byte value for bytes fields.
                    const std::string text = field->full_name() + " \xc3\xa9\xe2\x82\xac #" + std::to_string(r);
                    add ? reflection->AddString(&message, field, text) : reflection->SetString(&message, field, text);
                    break;
                }
                case pb::FieldDescriptor::CPPTYPE_MESSAGE:
                    if (depth > 0) {
                        pb::Message* child =
                            add ? reflection->AddMessage(&message, field) : reflection->MutableMessage(&message, field);
                        fill(*child, depth - 1, oneof_choice + r);
                    }
                    break;
            }
        }
    }
}

std::vector<const pb::Descriptor*> all_messages() {
    std::vector<const pb::Descriptor*> out;
    const pb::FileDescriptor* files[] = {
        loyalty::v1::Money::descriptor()->file(), loyalty::v1::Event::descriptor()->file(),
        loyalty::v1::Offer::descriptor()->file(), loyalty::v1::PosRequest::descriptor()->file(),
        loyalty::v1::Envelope::descriptor()->file()};
    for (const pb::FileDescriptor* file : files) {
        for (int i = 0; i < file->message_type_count(); ++i)
            out.push_back(file->message_type(i));
    }
    return out;
}

int max_oneof_size(const pb::Descriptor* descriptor) {
    int size = 1;
    for (int i = 0; i < descriptor->real_oneof_decl_count(); ++i) {
        size = std::max(size, descriptor->oneof_decl(i)->field_count());
    }
    return size;
}

}  // namespace

TEST_CASE("the schema has the expected files, package and conventions") {
    const auto messages = all_messages();
    REQUIRE(messages.size() >= 80);
    for (const pb::Descriptor* descriptor : messages) {
        INFO(descriptor->full_name());
        CHECK(descriptor->file()->package() == "loyalty.v1");
        for (int i = 0; i < descriptor->field_count(); ++i) {
            const pb::FieldDescriptor* field = descriptor->field(i);
            INFO(field->full_name());
            // Money is never floating point.
            CHECK(field->cpp_type() != pb::FieldDescriptor::CPPTYPE_DOUBLE);
            CHECK(field->cpp_type() != pb::FieldDescriptor::CPPTYPE_FLOAT);
            // No field that could carry a payment card number.
            const std::string& name = field->name();
            CHECK(name != "pan");
            CHECK(name != "card_number");
            CHECK(name.find("payment_card") == std::string::npos);
            CHECK(name.find("account_number") == std::string::npos);
        }
    }
    // Every enum of every file: the zero value is *_UNSPECIFIED.
    for (const pb::FileDescriptor* file :
         {loyalty::v1::Money::descriptor()->file(), loyalty::v1::Event::descriptor()->file(),
          loyalty::v1::Offer::descriptor()->file(), loyalty::v1::PosRequest::descriptor()->file(),
          loyalty::v1::Envelope::descriptor()->file()}) {
        for (int i = 0; i < file->enum_type_count(); ++i) {
            const pb::EnumDescriptor* type = file->enum_type(i);
            INFO(type->full_name());
            REQUIRE(type->FindValueByNumber(0) != nullptr);
            CHECK(type->FindValueByNumber(0)->name().ends_with("_UNSPECIFIED"));
        }
    }
}

TEST_CASE("every message round-trips through binary and JSON with every field and oneof member set") {
    pb::DynamicMessageFactory factory;
    std::size_t checked = 0;
    for (const pb::Descriptor* descriptor : all_messages()) {
        for (int choice = 0; choice < max_oneof_size(descriptor); ++choice) {
            INFO(descriptor->full_name() << " with oneof member " << choice);
            const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(descriptor);
            REQUIRE(prototype != nullptr);
            std::unique_ptr<pb::Message> original(prototype->New());
            fill(*original, 3, choice);
            if (descriptor->field_count() > 0) REQUIRE(original->ByteSizeLong() > 0);

            std::string wire;
            REQUIRE(original->SerializeToString(&wire));
            std::unique_ptr<pb::Message> from_wire(prototype->New());
            REQUIRE(from_wire->ParseFromString(wire));
            CHECK(pb::util::MessageDifferencer::Equals(*original, *from_wire));

            std::string json;
            REQUIRE(pb::util::MessageToJsonString(*original, &json).ok());
            std::unique_ptr<pb::Message> from_json(prototype->New());
            const auto status = pb::util::JsonStringToMessage(json, from_json.get());
            INFO(json);
            REQUIRE(status.ok());
            CHECK(pb::util::MessageDifferencer::Equals(*original, *from_json));
            ++checked;
        }
    }
    CHECK(checked >= 100);
}

TEST_CASE("a purchase event written by hand reads back as the same sale, in JSON as protobuf names it") {
    loyalty::v1::Event event;
    auto* header = event.mutable_header();
    header->set_terminal_id("S0042-T03");
    header->set_sequence(17);
    header->set_store_id("S0042");
    header->set_cashier_id("C-108");
    header->mutable_terminal_time()->set_seconds(1'795'000'000);
    auto* sale = event.mutable_purchase();
    sale->set_sale_id("T03-000017");
    sale->set_loyalty_card("6036000000000011");
    auto* line = sale->add_lines();
    line->set_line_no(1);
    line->set_gtin("4006381333931");
    line->set_description("Bananas loose");
    line->set_department("produce");
    line->mutable_quantity()->set_weight_grams(1250);
    line->mutable_unit_price()->set_minor_units(199);
    line->mutable_unit_price()->set_currency("EUR");
    line->mutable_line_total()->set_minor_units(249);
    line->mutable_line_total()->set_currency("EUR");

    std::string json;
    REQUIRE(pb::util::MessageToJsonString(event, &json).ok());
    CHECK(json.find("\"weightGrams\":\"1250\"") != std::string::npos);
    CHECK(json.find("\"saleId\":\"T03-000017\"") != std::string::npos);

    loyalty::v1::Event back;
    REQUIRE(pb::util::JsonStringToMessage(json, &back).ok());
    CHECK(back.purchase().lines(0).quantity().weight_grams() == 1250);
    CHECK(back.header().sequence() == 17);
    CHECK(back.body_case() == loyalty::v1::Event::kPurchase);
}

TEST_CASE("JSON with a wrong type or an unknown field is refused with a message") {
    loyalty::v1::PosRequest request;
    auto status = pb::util::JsonStringToMessage(R"({"requestId":"1","addItem":{"gtin":12}})", &request);
    CHECK_FALSE(status.ok());
    status = pb::util::JsonStringToMessage(R"({"requestId":"1","frobnicate":{}})", &request);
    CHECK_FALSE(status.ok());
    CHECK_FALSE(std::string(status.message()).empty());
}
