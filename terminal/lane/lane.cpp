#include "terminal/lane/lane.hpp"

#include <algorithm>
#include <cstdio>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "domain/money.hpp"
#include "domain/offers/offer_validation.hpp"
#include "domain/terminal_ids.hpp"
#include "domain/version.hpp"

namespace loyalty::terminal {
namespace {

// A request that cannot be done: becomes the PosError of the response.
struct Refusal {
    v1::PosErrorCode code;
    std::string message;
    std::string field;
};

[[noreturn]] void refuse(v1::PosErrorCode code, std::string message, std::string field = {}) {
    throw Refusal{code, std::move(message), std::move(field)};
}

google::protobuf::Timestamp timestamp(Clock::time_point t) {
    return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

bool printable(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

void require_text(std::string_view value, std::string_view field, std::size_t max, bool required = true) {
    if (value.empty() && required)
        refuse(v1::POS_ERROR_CODE_MISSING_FIELD, std::string{field} + " is required", std::string{field});
    if (value.size() > max || !printable(value)) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
               std::string{field} + " must be printable text of at most " + std::to_string(max) + " bytes",
               std::string{field});
    }
}

// Units: 1..9999; weight: 1 g .. 1000 kg.
void check_quantity(const v1::Quantity& quantity, std::string_view field) {
    if (quantity.has_units()) {
        if (quantity.units() <= 0) {
            refuse(v1::POS_ERROR_CODE_INVALID_QUANTITY,
                   std::string{field} + ".units must be positive, got " + std::to_string(quantity.units()),
                   std::string{field});
        }
        if (quantity.units() > 9999) {
            refuse(v1::POS_ERROR_CODE_INVALID_QUANTITY,
                   std::string{field} + ".units must be at most 9999, got " + std::to_string(quantity.units()),
                   std::string{field});
        }
    } else if (quantity.has_weight_grams()) {
        if (quantity.weight_grams() <= 0) {
            refuse(
                v1::POS_ERROR_CODE_INVALID_QUANTITY,
                std::string{field} + ".weight_grams must be positive, got " + std::to_string(quantity.weight_grams()),
                std::string{field});
        }
        if (quantity.weight_grams() > 1'000'000) {
            refuse(v1::POS_ERROR_CODE_INVALID_QUANTITY, std::string{field} + ".weight_grams must be at most 1000 kg",
                   std::string{field});
        }
    } else {
        refuse(v1::POS_ERROR_CODE_MISSING_FIELD, std::string{field} + " needs units or weight_grams",
               std::string{field});
    }
}

std::int64_t quantity_value(const v1::Quantity& q) {
    return q.has_units() ? q.units() : q.weight_grams();
}

std::int64_t sum_or_refuse(std::int64_t a, std::int64_t b, std::string_view what) {
    const auto sum = domain::checked_add(a, b);
    if (!sum) refuse(v1::POS_ERROR_CODE_AMOUNT_OVERFLOW, std::string{what} + " is too large to add up");
    return *sum;
}

// a * b / c, half up, or a refusal: never a silent zero.
std::int64_t refund_share(std::int64_t a, std::int64_t b, std::int64_t c) {
    const auto share = domain::mul_div_round(a, b, c);
    if (!share) refuse(v1::POS_ERROR_CODE_AMOUNT_OVERFLOW, "the return's amounts are too large to work out");
    return *share;
}

v1::PosErrorCode storage_error_code(const sqlite::Error& e) {
    return e.is_disk_full() ? v1::POS_ERROR_CODE_STORAGE_FULL : v1::POS_ERROR_CODE_STORAGE_FAILURE;
}

}  // namespace

Lane::Lane(const TerminalConfig& config, LocalStore& store, const domain::OfferEngine& offers, WallClock now)
    : config_(config),
      store_(store),
      directory_(store),
      offers_(offers),
      decoder_(card::CardDecoder::for_terminal(config)),
      debouncer_(config.reader.debounce),
      now_(std::move(now)) {
    recover();
}

void Lane::recover() {
    auto open = store_.open_basket();
    if (!open) return;
    Basket basket;
    basket.sale_id = open->sale_id;
    basket.cashier_id = open->cashier_id;
    basket.opened_at = open->opened_at;
    basket.lines = std::move(open->lines);
    for (const auto& line : basket.lines)
        basket.next_line_no = std::max(basket.next_line_no, line.line_no() + 1);
    basket.points_to_redeem = open->points_to_redeem;
    basket.coupon_codes = std::move(open->coupon_codes);
    if (!open->loyalty_card.empty()) {
        auto customer = directory_.find_by_card(open->loyalty_card);
        if (!customer) {
            customer.emplace();
            customer->loyalty_card = open->loyalty_card;
        }
        basket.customer = std::move(customer);
    }
    basket_ = std::move(basket);
}

void Lane::publish(const v1::PosEvent& event) const {
    if (publish_) publish_(event);
}

v1::PosResponse Lane::handle(const v1::PosRequest& request) {
    v1::PosResponse response;
    response.set_request_id(request.request_id());
    try {
        switch (request.request_case()) {
            case v1::PosRequest::kBeginBasket: begin_basket(request.begin_basket(), response); break;
            case v1::PosRequest::kIdentifyCard: identify_card(request.identify_card(), response); break;
            case v1::PosRequest::kAddItem: add_item(request.add_item(), response); break;
            case v1::PosRequest::kChangeQuantity: change_quantity(request.change_quantity(), response); break;
            case v1::PosRequest::kRemoveLine: remove_line(request.remove_line(), response); break;
            case v1::PosRequest::kGetTotals:
                open_basket_or_fail();
                *response.mutable_basket() = view();
                break;
            case v1::PosRequest::kRedeemPoints: redeem_points(request.redeem_points(), response); break;
            case v1::PosRequest::kApplyCoupon: apply_coupon(request.apply_coupon(), response); break;
            case v1::PosRequest::kCompleteSale: complete_sale(request.complete_sale(), response); break;
            case v1::PosRequest::kVoidBasket: void_basket(request.void_basket(), response); break;
            case v1::PosRequest::kReturnSale: return_sale(request.return_sale(), response); break;
            case v1::PosRequest::kEnrollCustomer: enroll_customer(request.enroll_customer(), response); break;
            case v1::PosRequest::kLookupCustomer: lookup_customer(request.lookup_customer(), response); break;
            case v1::PosRequest::kGetStatus: *response.mutable_status() = status(); break;
            case v1::PosRequest::kSubscribe: response.mutable_subscribed(); break;
            case v1::PosRequest::kImportOffers: import_offers(request.import_offers(), response); break;
            case v1::PosRequest::kInjectRead: {
                const auto event = card_read(request.inject_read().raw());
                auto* read = response.mutable_read();
                if (!event) {
                    read->set_repeated(true);
                } else if (event->has_card_identified()) {
                    *read->mutable_identified() = event->card_identified();
                } else {
                    *read->mutable_refused() = event->card_refused();
                }
                break;
            }
            case v1::PosRequest::REQUEST_NOT_SET:
                refuse(v1::POS_ERROR_CODE_UNKNOWN_REQUEST,
                       "the request names no operation this terminal knows (a newer POS version?)");
        }
    } catch (const Refusal& refusal) {
        response.clear_response();
        auto* error = response.mutable_error();
        error->set_code(refusal.code);
        error->set_message(refusal.message);
        error->set_field(refusal.field);
    } catch (const sqlite::Error& e) {
        spdlog::error("local store failed during a POS request: {}", e.what());
        response.clear_response();
        response.mutable_error()->set_code(storage_error_code(e));
        response.mutable_error()->set_message(e.is_disk_full() ? "the terminal's storage is full: nothing was recorded"
                                                               : "the terminal's storage failed: nothing was recorded");
    } catch (const std::exception& e) {
        spdlog::error("POS request failed: {}", e.what());
        response.clear_response();
        response.mutable_error()->set_code(v1::POS_ERROR_CODE_INTERNAL);
        response.mutable_error()->set_message("internal error: nothing was changed");
    }
    return response;
}

Lane::Basket& Lane::open_basket_or_fail() {
    if (!basket_) refuse(v1::POS_ERROR_CODE_NO_OPEN_BASKET, "no basket is open: begin one first");
    return *basket_;
}

v1::SaleLine& Lane::line_or_fail(Basket& basket, std::uint32_t line_no) {
    auto it = std::find_if(basket.lines.begin(), basket.lines.end(),
                           [&](const v1::SaleLine& l) { return l.line_no() == line_no; });
    if (it == basket.lines.end()) {
        refuse(v1::POS_ERROR_CODE_LINE_NOT_FOUND, "line " + std::to_string(line_no) + " is not in the basket",
               "line_no");
    }
    return *it;
}

template <typename Change, typename Persist>
v1::BasketView Lane::commit_change(Change&& change, Persist&& persist) {
    Basket before = *basket_;
    try {
        change(*basket_);
        v1::BasketView priced = view();
        persist();
        return priced;
    } catch (...) {
        *basket_ = std::move(before);
        throw;
    }
}

// ---- baskets ---------------------------------------------------------------------------------------

void Lane::begin_basket(const v1::BeginBasket& request, v1::PosResponse& response) {
    require_text(request.cashier_id(), "cashier_id", 32);
    if (basket_) {
        if (!basket_->lines.empty()) {
            refuse(v1::POS_ERROR_CODE_BASKET_ALREADY_OPEN, "basket " + basket_->sale_id + " is open with " +
                                                               std::to_string(basket_->lines.size()) +
                                                               " line(s): complete or void it first");
        }
        store_.discard_open_basket();  // an empty basket is simply replaced
        basket_.reset();
    }
    Basket basket;
    basket.sale_id = domain::make_terminal_id(config_.terminal_id, store_.id_tag(), domain::IdKind::sale,
                                              store_.next_number("sale_number"));
    basket.cashier_id = request.cashier_id();
    basket.opened_at = now_();
    store_.begin_basket(basket.sale_id, basket.cashier_id, config_.currency, basket.opened_at);
    basket_ = std::move(basket);
    std::optional<domain::CustomerRecord> pending = std::exchange(pending_customer_, std::nullopt);
    if (pending && basket_->opened_at - pending_since_ <= k_pending_card_window) {
        try {
            attach_customer(*pending);
        } catch (const std::exception& e) {
            // The basket is open and recorded; the cashier can identify the card again.
            spdlog::error("could not link the card read before the basket: {}", e.what());
        }
    }
    *response.mutable_basket() = view();
}

void Lane::add_item(const v1::AddItem& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    require_text(request.gtin(), "gtin", 20);
    require_text(request.description(), "description", 120);
    require_text(request.department(), "department", 40);
    check_quantity(request.quantity(), "quantity");
    if (!request.has_unit_price()) refuse(v1::POS_ERROR_CODE_MISSING_FIELD, "unit_price is required", "unit_price");
    if (!request.unit_price().currency().empty() && request.unit_price().currency() != config_.currency) {
        refuse(v1::POS_ERROR_CODE_CURRENCY_MISMATCH,
               "unit_price is in " + request.unit_price().currency() + ", this terminal sells in " + config_.currency,
               "unit_price");
    }
    if (request.unit_price().minor_units() < 0) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "unit_price must not be negative", "unit_price");
    }
    if (basket.lines.size() >= k_max_lines) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "a basket holds at most " + std::to_string(k_max_lines) + " lines");
    }
    const auto total = domain::line_total(request.quantity(), request.unit_price().minor_units());
    if (!total)
        refuse(v1::POS_ERROR_CODE_AMOUNT_OVERFLOW, "unit_price x quantity does not fit in an amount", "unit_price");
    std::int64_t subtotal = *total;
    for (const auto& line : basket.lines)
        subtotal = sum_or_refuse(subtotal, line.line_total().minor_units(), "the basket total");

    v1::SaleLine line;
    line.set_line_no(basket.next_line_no);
    line.set_gtin(request.gtin());
    line.set_description(request.description());
    line.set_department(request.department());
    *line.mutable_quantity() = request.quantity();
    *line.mutable_unit_price() = domain::make_money(request.unit_price().minor_units(), config_.currency);
    *line.mutable_line_total() = domain::make_money(*total, config_.currency);
    *response.mutable_basket() = commit_change(
        [&](Basket& b) {
            b.lines.push_back(line);
            ++b.next_line_no;
        },
        [&] { store_.put_basket_line(line); });
}

void Lane::change_quantity(const v1::ChangeQuantity& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    const v1::SaleLine& current = line_or_fail(basket, request.line_no());
    check_quantity(request.quantity(), "quantity");
    if (request.quantity().has_units() != current.quantity().has_units()) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
               current.quantity().has_units() ? "line is sold by the unit: give units"
                                              : "line is weighed: give weight_grams",
               "quantity");
    }
    const auto total = domain::line_total(request.quantity(), current.unit_price().minor_units());
    if (!total)
        refuse(v1::POS_ERROR_CODE_AMOUNT_OVERFLOW, "unit_price x quantity does not fit in an amount", "quantity");
    std::int64_t subtotal = *total;
    for (const auto& line : basket.lines) {
        if (line.line_no() != current.line_no()) {
            subtotal = sum_or_refuse(subtotal, line.line_total().minor_units(), "the basket total");
        }
    }
    v1::SaleLine changed = current;
    *changed.mutable_quantity() = request.quantity();
    changed.mutable_line_total()->set_minor_units(*total);
    *response.mutable_basket() = commit_change([&](Basket& b) { line_or_fail(b, request.line_no()) = changed; },
                                               [&] { store_.put_basket_line(changed); });
}

void Lane::remove_line(const v1::RemoveLine& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    line_or_fail(basket, request.line_no());
    *response.mutable_basket() = commit_change(
        [&](Basket& b) {
            std::erase_if(b.lines, [&](const v1::SaleLine& l) { return l.line_no() == request.line_no(); });
        },
        [&] { store_.remove_basket_line(request.line_no()); });
}

void Lane::redeem_points(const v1::RedeemPoints& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    if (request.points() < 0) refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "points must not be negative", "points");
    if (request.points() > 0) {
        if (!offers_.redeems_points()) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
                   "points cannot be redeemed on this terminal: no points rules loaded", "points");
        }
        if (!basket.customer || basket.customer->anonymous()) {
            refuse(v1::POS_ERROR_CODE_INSUFFICIENT_POINTS, "identify an enrolled customer before redeeming points",
                   "points");
        }
        if (request.points() < offers_.min_redemption()) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
                   "at least " + std::to_string(offers_.min_redemption()) + " points must be redeemed at once",
                   "points");
        }
        if (request.points() > basket.customer->points_available()) {
            refuse(v1::POS_ERROR_CODE_INSUFFICIENT_POINTS,
                   "the customer has " + std::to_string(basket.customer->points_available()) + " points available",
                   "points");
        }
    }
    *response.mutable_basket() = commit_change([&](Basket& b) { b.points_to_redeem = request.points(); },
                                               [&] { store_.set_basket_points_to_redeem(request.points()); });
}

void Lane::apply_coupon(const v1::ApplyCoupon& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    require_text(request.code(), "code", 64);
    if (!offers_.knows_coupon(request.code())) {
        refuse(v1::POS_ERROR_CODE_COUPON_NOT_VALID, "no live offer takes this coupon code", "code");
    }
    if (store_.coupon_used(request.code())) {
        refuse(v1::POS_ERROR_CODE_COUPON_NOT_VALID, "this single-use coupon was already used", "code");
    }
    if (std::find(basket.coupon_codes.begin(), basket.coupon_codes.end(), request.code()) !=
        basket.coupon_codes.end()) {
        *response.mutable_basket() = view();
        return;
    }
    *response.mutable_basket() = commit_change([&](Basket& b) { b.coupon_codes.push_back(request.code()); },
                                               [&] { store_.set_basket_coupons(basket_->coupon_codes); });
}

v1::BasketView Lane::view(domain::PricedBasket* priced_out) const {
    const Basket& basket = *basket_;
    const std::string& currency = config_.currency;
    const domain::BasketSnapshot snapshot{basket.sale_id,     basket.lines,
                                          currency,           basket.customer ? &*basket.customer : nullptr,
                                          config_.store_id,   basket.points_to_redeem,
                                          basket.coupon_codes};
    domain::PricedBasket priced = offers_.price(snapshot);

    v1::BasketView view;
    view.set_sale_id(basket.sale_id);
    std::int64_t subtotal = 0;
    for (const auto& line : basket.lines) {
        *view.add_lines() = line;
        subtotal = sum_or_refuse(subtotal, line.line_total().minor_units(), "the basket total");
    }
    std::int64_t discounts = 0;
    for (const auto& discount : priced.discounts) {
        *view.add_discounts() = discount;
        discounts = sum_or_refuse(discounts, discount.amount().minor_units(), "the discounts");
    }
    if (discounts < 0 || discounts > subtotal) {
        throw std::logic_error("offer engine returned discounts of " + std::to_string(discounts) +
                               " against a subtotal of " + std::to_string(subtotal));
    }
    auto* points = view.mutable_points();
    points->set_earned(priced.points_earned);
    points->set_redeemed(priced.points_redeemed);
    for (const auto& line : priced.points_lines)
        *points->add_lines() = line;
    if (basket.customer && !basket.customer->anonymous()) {
        points->set_balance_before(basket.customer->points_available());
        points->set_balance_after(basket.customer->points_available() - points->redeemed() + priced.points_earned);
    }
    auto* totals = view.mutable_totals();
    *totals->mutable_subtotal() = domain::make_money(subtotal, currency);
    *totals->mutable_discount_total() = domain::make_money(discounts, currency);
    *totals->mutable_payable() = domain::make_money(subtotal - discounts, currency);
    if (basket.customer) *view.mutable_customer() = summary(*basket.customer);
    if (priced_out) *priced_out = std::move(priced);
    return view;
}

// ---- completion, void, return ------------------------------------------------------------------------

void Lane::complete_sale(const v1::CompleteSale& request, v1::PosResponse& response) {
    // A retry of a completion whose answer was lost: answer with the stored receipt.
    if (!request.sale_id().empty() && (!basket_ || basket_->sale_id != request.sale_id())) {
        const auto event = store_.find_purchase_event(request.sale_id());
        if (!event) {
            refuse(v1::POS_ERROR_CODE_SALE_NOT_FOUND,
                   "sale " + request.sale_id() + " is neither the open basket nor a completed sale", "sale_id");
        }
        auto* receipt = response.mutable_sale_completed();
        const auto& sale = event->purchase();
        auto* view = receipt->mutable_basket();
        view->set_sale_id(sale.sale_id());
        *view->mutable_lines() = sale.lines();
        *view->mutable_discounts() = sale.discounts();
        *view->mutable_points() = sale.points();
        *view->mutable_totals()->mutable_subtotal() = sale.subtotal();
        *view->mutable_totals()->mutable_discount_total() = sale.discount_total();
        *view->mutable_totals()->mutable_payable() = sale.total();
        *receipt->mutable_tenders() = sale.tenders();
        *receipt->mutable_completed_at() = event->header().terminal_time();
        receipt->set_sequence(event->header().sequence());
        *receipt->mutable_issued_coupons() = sale.issued_coupons();
        std::int64_t paid = 0;
        for (const auto& tender : sale.tenders())
            paid += tender.amount().minor_units();
        *receipt->mutable_change_due() = domain::make_money(paid - sale.total().minor_units(), config_.currency);
        return;
    }
    Basket& basket = open_basket_or_fail();
    if (basket.lines.empty()) refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "the basket is empty: void it instead");

    domain::PricedBasket priced;
    v1::BasketView view = this->view(&priced);
    const std::int64_t payable = view.totals().payable().minor_units();
    std::int64_t paid = 0;
    bool cash = false;
    for (int i = 0; i < request.tenders_size(); ++i) {
        const v1::Tender& tender = request.tenders(i);
        const std::string field = "tenders[" + std::to_string(i) + "]";
        if (tender.kind() == v1::TENDER_KIND_UNSPECIFIED) {
            refuse(v1::POS_ERROR_CODE_MISSING_FIELD, field + ".kind is required", field);
        }
        if (!v1::TenderKind_IsValid(tender.kind()))
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, field + ".kind is unknown", field);
        if (tender.amount().minor_units() <= 0) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, field + ".amount must be positive", field);
        }
        if (!tender.amount().currency().empty() && tender.amount().currency() != config_.currency) {
            refuse(v1::POS_ERROR_CODE_CURRENCY_MISMATCH, field + ".amount is not in " + config_.currency, field);
        }
        paid = sum_or_refuse(paid, tender.amount().minor_units(), "the tenders");
        cash = cash || tender.kind() == v1::TENDER_KIND_CASH;
    }
    if (paid < payable) {
        refuse(v1::POS_ERROR_CODE_TENDER_SHORT,
               "tenders cover " + domain::format_amount(paid, config_.minor_unit_exponent) + " of " +
                   domain::format_amount(payable, config_.minor_unit_exponent),
               "tenders");
    }
    if (paid > payable && !cash)
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "only a cash tender can exceed the total", "tenders");

    v1::Event event;
    *event.mutable_header() = header(basket.cashier_id);
    auto* sale = event.mutable_purchase();
    sale->set_sale_id(basket.sale_id);
    if (basket.customer) {
        sale->set_loyalty_card(basket.customer->loyalty_card);
        sale->set_customer_id(basket.customer->customer_id);
    }
    *sale->mutable_lines() = view.lines();
    *sale->mutable_discounts() = view.discounts();
    *sale->mutable_points() = view.points();
    for (const auto& tender : request.tenders()) {
        auto* t = sale->add_tenders();
        t->set_kind(tender.kind());
        *t->mutable_amount() = domain::make_money(tender.amount().minor_units(), config_.currency);
    }
    *sale->mutable_subtotal() = view.totals().subtotal();
    *sale->mutable_discount_total() = view.totals().discount_total();
    *sale->mutable_total() = view.totals().payable();
    for (const auto& coupon : priced.coupons)
        *sale->add_issued_coupons() = coupon;

    const std::uint64_t sequence = store_.record_purchase(event);  // durable before we answer
    recorded();

    auto* receipt = response.mutable_sale_completed();
    *receipt->mutable_basket() = std::move(view);
    *receipt->mutable_tenders() = sale->tenders();
    *receipt->mutable_change_due() = domain::make_money(paid - payable, config_.currency);
    *receipt->mutable_completed_at() = event.header().terminal_time();
    receipt->set_sequence(sequence);
    *receipt->mutable_issued_coupons() = sale->issued_coupons();
    basket_.reset();
}

void Lane::void_basket(const v1::VoidBasket& request, v1::PosResponse& response) {
    Basket& basket = open_basket_or_fail();
    if (request.reason() == v1::VOID_REASON_UNSPECIFIED) {
        refuse(v1::POS_ERROR_CODE_MISSING_FIELD, "reason is required", "reason");
    }
    if (!v1::VoidReason_IsValid(request.reason()))
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "reason is unknown", "reason");
    require_text(request.note(), "note", 200, false);
    require_text(request.supervisor_id(), "supervisor_id", 32, false);
    const v1::BasketView view = this->view();
    v1::Event event;
    *event.mutable_header() = header(basket.cashier_id);
    auto* voided = event.mutable_void_sale();
    voided->set_sale_id(basket.sale_id);
    voided->set_reason(request.reason());
    voided->set_note(request.note());
    voided->set_supervisor_id(request.supervisor_id());
    *voided->mutable_lines() = view.lines();
    *voided->mutable_total() = view.totals().subtotal();
    store_.record_event(event);  // also closes the open basket, in the same transaction
    recorded();
    *response.mutable_basket() = view;
    basket_.reset();
}

void Lane::return_sale(const v1::ReturnSale& request, v1::PosResponse& response) {
    require_text(request.original_sale_id(), "original_sale_id", 40);
    if (!request.original_terminal_id().empty() && request.original_terminal_id() != config_.terminal_id) {
        refuse(v1::POS_ERROR_CODE_SALE_NOT_FOUND,
               "sale " + request.original_sale_id() + " was made at terminal " + request.original_terminal_id() +
                   "; this terminal holds only its own sales",
               "original_terminal_id");
    }
    auto sale = store_.find_sale(request.original_sale_id());
    if (!sale) {
        refuse(
            v1::POS_ERROR_CODE_SALE_NOT_FOUND,
            "sale " + request.original_sale_id() + " is not held at this terminal (older than the retention period?)",
            "original_sale_id");
    }

    // What each line is worth after its discounts: targeted ones, plus a share of basket-level
    // ones in proportion to what is left of the line (the last line takes the rounding remainder).
    const std::size_t n = sale->lines.size();
    std::vector<std::int64_t> net(n);
    std::int64_t targeted_total = 0;
    std::int64_t base_total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        targeted_total += sale->lines[i].targeted_discount;
        net[i] = sale->lines[i].line.line_total().minor_units() - sale->lines[i].targeted_discount;
        base_total += net[i];
    }
    const std::int64_t untargeted = sale->discount_total - targeted_total;
    if (untargeted > 0 && base_total > 0) {
        // Cumulative rounding: line i gets R(U * C_i / B) - R(U * C_{i-1} / B), where C is the running
        // sum of the lines' values. Shares add up to U exactly and none exceeds its line.
        std::int64_t running = 0;
        std::int64_t given = 0;
        for (std::size_t i = 0; i < n; ++i) {
            running += std::max<std::int64_t>(net[i], 0);
            const auto upto = domain::mul_div_round(untargeted, running, base_total);
            if (!upto) refuse(v1::POS_ERROR_CODE_AMOUNT_OVERFLOW, "the sale's amounts are too large to share out");
            net[i] -= *upto - given;
            given = *upto;
        }
    }

    // The lines asked for: every remaining unit of every line when none is named.
    std::vector<std::pair<std::size_t, v1::Quantity>> wanted;
    if (request.lines().empty()) {
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t remaining =
                quantity_value(sale->lines[i].line.quantity()) - sale->lines[i].returned_quantity;
            if (remaining <= 0) continue;
            v1::Quantity q;
            if (sale->lines[i].line.quantity().has_units())
                q.set_units(remaining);
            else
                q.set_weight_grams(remaining);
            wanted.emplace_back(i, q);
        }
        if (wanted.empty())
            refuse(v1::POS_ERROR_CODE_NOTHING_TO_RETURN, "everything in this sale was already returned");
    } else {
        for (int k = 0; k < request.lines_size(); ++k) {
            const auto& asked = request.lines(k);
            const std::string field = "lines[" + std::to_string(k) + "]";
            const auto it = std::find_if(sale->lines.begin(), sale->lines.end(), [&](const StoredSaleLine& l) {
                return l.line.line_no() == asked.original_line_no();
            });
            if (it == sale->lines.end()) {
                refuse(v1::POS_ERROR_CODE_LINE_NOT_FOUND,
                       "sale has no line " + std::to_string(asked.original_line_no()), field);
            }
            const auto i = static_cast<std::size_t>(it - sale->lines.begin());
            if (std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == i; })) {
                refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
                       "line " + std::to_string(asked.original_line_no()) + " is named twice", field);
            }
            check_quantity(asked.quantity(), field + ".quantity");
            if (asked.quantity().has_units() != it->line.quantity().has_units()) {
                refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
                       "quantity must be given as the line was sold (units or weight)", field);
            }
            const std::int64_t remaining = quantity_value(it->line.quantity()) - it->returned_quantity;
            if (remaining <= 0) {
                refuse(v1::POS_ERROR_CODE_NOTHING_TO_RETURN,
                       "line " + std::to_string(asked.original_line_no()) + " was already returned in full", field);
            }
            if (quantity_value(asked.quantity()) > remaining) {
                refuse(v1::POS_ERROR_CODE_INVALID_QUANTITY,
                       "only " + std::to_string(remaining) + " of line " + std::to_string(asked.original_line_no()) +
                           " can still be returned",
                       field);
            }
            wanted.emplace_back(i, asked.quantity());
        }
    }

    v1::Event event;
    *event.mutable_header() = header("");
    auto* r = event.mutable_sale_return();
    r->set_original_sale_id(sale->sale_id);
    r->set_original_terminal_id(config_.terminal_id);
    r->set_loyalty_card(sale->loyalty_card);
    r->set_customer_id(sale->customer_id);
    std::int64_t refund_total = 0;
    bool everything_back = true;
    for (std::size_t i = 0; i < n; ++i) {
        const auto w = std::find_if(wanted.begin(), wanted.end(), [&](const auto& x) { return x.first == i; });
        const std::int64_t sold = quantity_value(sale->lines[i].line.quantity());
        const std::int64_t now_back =
            sale->lines[i].returned_quantity + (w == wanted.end() ? 0 : quantity_value(w->second));
        everything_back = everything_back && now_back == sold;
        if (w == wanted.end()) continue;
        const std::int64_t amount =
            now_back == sold
                ? net[i] - sale->lines[i].refunded
                : std::min(net[i] - sale->lines[i].refunded,
                           refund_share(std::max<std::int64_t>(net[i], 0), quantity_value(w->second), sold));
        auto* line = r->add_lines();
        line->set_original_line_no(sale->lines[i].line.line_no());
        *line->mutable_quantity() = w->second;
        *line->mutable_refund() = domain::make_money(std::max<std::int64_t>(amount, 0), sale->currency);
        refund_total += line->refund().minor_units();
    }
    *r->mutable_refund_total() = domain::make_money(refund_total, sale->currency);
    // Points in proportion to the money refunded; the last return settles whatever is left.
    const std::int64_t net_total = sale->total;
    // A sale paid wholly with points refunds no money: its points then follow the share of the
    // line value that came back.
    std::int64_t value_back = 0;
    std::int64_t value_sold = 0;
    for (std::size_t i = 0; i < n; ++i) {
        value_sold += sale->lines[i].line.line_total().minor_units();
        const auto w = std::find_if(wanted.begin(), wanted.end(), [&](const auto& x) { return x.first == i; });
        if (w != wanted.end()) {
            value_back += refund_share(sale->lines[i].line.line_total().minor_units(), quantity_value(w->second),
                                       quantity_value(sale->lines[i].line.quantity()));
        }
    }
    auto share = [&](std::int64_t points, std::int64_t already) {
        if (everything_back) return points - already;
        if (net_total > 0) return std::min(points - already, refund_share(points, refund_total, net_total));
        if (value_sold <= 0) return std::int64_t{0};
        return std::min(points - already, refund_share(points, value_back, value_sold));
    };
    // An offer's use is given back when everything it touched has come back (a basket-level
    // offer: the whole sale), once.
    for (const auto& [offer_id, touched] : sale->offers) {
        if (std::find(sale->offers_restored.begin(), sale->offers_restored.end(), offer_id) !=
            sale->offers_restored.end()) {
            continue;
        }
        bool back = touched.empty() ? everything_back : true;
        for (std::uint32_t line_no : touched) {
            for (std::size_t i = 0; i < n; ++i) {
                if (sale->lines[i].line.line_no() != line_no) continue;
                const auto w = std::find_if(wanted.begin(), wanted.end(), [&](const auto& x) { return x.first == i; });
                const std::int64_t now_back =
                    sale->lines[i].returned_quantity + (w == wanted.end() ? 0 : quantity_value(w->second));
                back = back && now_back == quantity_value(sale->lines[i].line.quantity());
            }
        }
        if (back) r->add_redemptions_restored(offer_id);
    }
    r->set_points_reversed(share(sale->points_earned, sale->points_reversed));
    r->set_points_given_back(share(sale->points_redeemed, sale->points_given_back));

    std::int64_t tendered = 0;
    for (int i = 0; i < request.refund_tenders_size(); ++i) {
        const auto& tender = request.refund_tenders(i);
        if (tender.kind() == v1::TENDER_KIND_UNSPECIFIED || tender.amount().minor_units() <= 0) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "each refund tender needs a kind and a positive amount",
                   "refund_tenders[" + std::to_string(i) + "]");
        }
        tendered = sum_or_refuse(tendered, tender.amount().minor_units(), "the refund tenders");
        auto* t = r->add_refund_tenders();
        t->set_kind(tender.kind());
        *t->mutable_amount() = domain::make_money(tender.amount().minor_units(), sale->currency);
    }
    if (request.refund_tenders().empty() && refund_total > 0) {
        auto* t = r->add_refund_tenders();
        t->set_kind(v1::TENDER_KIND_CASH);
        *t->mutable_amount() = domain::make_money(refund_total, sale->currency);
    } else if (!request.refund_tenders().empty() && tendered != refund_total) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD,
               "refund tenders add up to " + domain::format_amount(tendered, config_.minor_unit_exponent) +
                   ", the refund is " + domain::format_amount(refund_total, config_.minor_unit_exponent),
               "refund_tenders");
    }

    r->set_return_id(domain::make_terminal_id(config_.terminal_id, store_.id_tag(), domain::IdKind::sale_return,
                                              store_.next_number("return_number")));
    store_.record_return(event);
    recorded();

    auto* receipt = response.mutable_return_completed();
    receipt->set_return_id(r->return_id());
    receipt->set_original_sale_id(r->original_sale_id());
    for (const auto& returned : r->lines()) {
        for (const auto& stored : sale->lines) {
            if (stored.line.line_no() != returned.original_line_no()) continue;
            v1::SaleLine* line = receipt->add_lines();
            *line = stored.line;
            *line->mutable_quantity() = returned.quantity();
            *line->mutable_line_total() = returned.refund();
        }
    }
    *receipt->mutable_refund_total() = r->refund_total();
    *receipt->mutable_refund_tenders() = r->refund_tenders();
    receipt->set_points_reversed(r->points_reversed());
    receipt->set_points_given_back(r->points_given_back());
}

// ---- customers ---------------------------------------------------------------------------------------

domain::CustomerRecord Lane::customer_for(const card::CardRead& card) {
    if (auto known = directory_.find_by_card(card.number)) return std::move(*known);
    domain::CustomerRecord anonymous;
    anonymous.loyalty_card = card.number;
    return anonymous;
}

v1::CustomerSummary Lane::summary(const domain::CustomerRecord& customer) const {
    v1::CustomerSummary s;
    s.set_customer_id(customer.customer_id);
    s.set_loyalty_card(customer.loyalty_card);
    s.set_display_name(customer.display_name());
    s.set_tier(customer.tier);
    s.set_points_available(customer.points_available());
    s.set_anonymous(customer.anonymous());
    if (!customer.anonymous()) {
        for (auto& offer : offers_.offers_for(customer))
            *s.add_offers() = std::move(offer);
    }
    return s;
}

void Lane::attach_customer(const domain::CustomerRecord& customer) {
    Basket& basket = *basket_;
    store_.set_basket_customer(customer.loyalty_card, customer.customer_id);
    basket.customer = customer;
    if (basket.points_to_redeem > customer.points_available()) {
        store_.set_basket_points_to_redeem(0);
        basket.points_to_redeem = 0;
    }
}

void Lane::identify_card(const v1::IdentifyCard& request, v1::PosResponse& response) {
    card::CardRead card;
    if (const std::error_code ec = decoder_.decode_keyed(request.card_text(), card)) {
        refuse(v1::POS_ERROR_CODE_CARD_REFUSED, ec.message(), "card_text");
    }
    domain::CustomerRecord customer = customer_for(card);
    if (customer.blocked)
        refuse(v1::POS_ERROR_CODE_CARD_REFUSED, std::error_code(card::error::card_blocked).message(), "card_text");
    if (basket_) {
        attach_customer(customer);
    } else {
        pending_customer_ = customer;
        pending_since_ = now_();
    }
    *response.mutable_customer() = summary(customer);
    v1::PosEvent event;
    *event.mutable_card_identified()->mutable_customer() = response.customer();
    *event.mutable_card_identified()->mutable_at() = timestamp(now_());
    publish(event);
}

std::optional<v1::PosEvent> Lane::card_read(std::string_view raw, bool partial, card::Debouncer::Clock::time_point at) {
    v1::PosEvent event;
    card::CardRead card;
    std::error_code ec = partial ? std::error_code(card::error::truncated) : decoder_.decode(raw, card);
    if (!ec && !debouncer_.accept(card.number, at)) return std::nullopt;  // the same card again: counted once
    std::optional<domain::CustomerRecord> customer;
    std::string failure;
    if (!ec) {
        try {
            customer = customer_for(card);
            if (customer->blocked) {
                ec = card::error::card_blocked;
            } else if (basket_) {
                attach_customer(*customer);
            } else {
                pending_customer_ = *customer;
                pending_since_ = now_();
            }
        } catch (const std::exception& e) {
            spdlog::error("card read could not be recorded: {}", e.what());
            failure = "the terminal could not record the card: swipe again";
        }
    }
    if (ec || !failure.empty()) {
        auto* refused = event.mutable_card_refused();
        refused->set_reason(ec ? card::refusal_reason(ec) : v1::CARD_REFUSAL_REASON_UNREADABLE);
        refused->set_message(ec ? ec.message() : failure);
        *refused->mutable_at() = timestamp(now_());
        spdlog::info("card read refused: {}", refused->message());
        publish(event);
        return event;
    }
    *event.mutable_card_identified()->mutable_customer() = summary(*customer);
    *event.mutable_card_identified()->mutable_at() = timestamp(now_());
    spdlog::info("card identified ({}{})", customer->anonymous() ? "anonymous member" : "customer ",
                 customer->customer_id);
    publish(event);
    return event;
}

void Lane::enroll_customer(const v1::EnrollCustomer& request, v1::PosResponse& response) {
    card::CardRead card;
    std::error_code ec = decoder_.decode_keyed(request.card_text(), card);
    if (ec == card::error::bad_character) ec = decoder_.decode(request.card_text(), card);  // a raw swipe
    if (ec) refuse(v1::POS_ERROR_CODE_CARD_REFUSED, ec.message(), "card_text");
    if (directory_.find_by_card(card.number)) {
        refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "this card is already enrolled", "card_text");
    }
    const v1::ContactDetails& contact = request.contact();
    require_text(contact.given_name(), "contact.given_name", 60);
    require_text(contact.family_name(), "contact.family_name", 60, false);
    v1::ContactDetails clean = contact;
    if (!contact.email().empty()) {
        const auto email = domain::normalize_email(contact.email());
        if (!email) refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "contact.email is not an e-mail address", "contact.email");
        clean.set_email(*email);
    }
    if (!contact.phone().empty()) {
        const auto phone = domain::normalize_phone(contact.phone());
        if (!phone) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "contact.phone must be international: + and 8 to 15 digits",
                   "contact.phone");
        }
        clean.set_phone(*phone);
    }
    if (contact.has_birthday()) {
        const v1::Date& d = contact.birthday();
        static constexpr int k_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool valid = d.month() >= 1 && d.month() <= 12 && d.day() >= 1 && d.day() <= k_days[d.month() - 1] &&
                           (d.year() == 0 || (d.year() >= 1900 && d.year() <= 2100));
        if (!valid) refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "contact.birthday is not a date", "contact.birthday");
    }
    bool terms = false;
    v1::Event event;
    *event.mutable_header() = header("");
    auto* enrollment = event.mutable_enrollment();
    for (int i = 0; i < request.consents_size(); ++i) {
        v1::Consent consent = request.consents(i);
        const std::string field = "consents[" + std::to_string(i) + "]";
        if (consent.purpose() == v1::CONSENT_PURPOSE_UNSPECIFIED || !v1::ConsentPurpose_IsValid(consent.purpose())) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, field + ".purpose is required", field);
        }
        terms = terms || (consent.purpose() == v1::CONSENT_PURPOSE_PROGRAM_TERMS && consent.granted());
        if (!consent.has_recorded_at()) *consent.mutable_recorded_at() = timestamp(now_());
        if (consent.source() == v1::CONSENT_SOURCE_UNSPECIFIED) consent.set_source(v1::CONSENT_SOURCE_TILL);
        consent.mutable_recorded_by()->set_store_id(config_.store_id);
        consent.mutable_recorded_by()->set_terminal_id(config_.terminal_id);
        *enrollment->add_consents() = std::move(consent);
    }
    if (!terms) {
        refuse(v1::POS_ERROR_CODE_MISSING_FIELD, "the shopper must accept the programme terms (consent PROGRAM_TERMS)",
               "consents");
    }
    enrollment->set_customer_id(domain::make_terminal_id(config_.terminal_id, store_.id_tag(), domain::IdKind::customer,
                                                         store_.next_number("customer_number")));
    enrollment->set_loyalty_card(card.number);
    *enrollment->mutable_contact() = clean;
    store_.record_enrollment(event);
    recorded();

    // The enrollment is recorded: from here on the answer is success, whatever else happens.
    domain::CustomerRecord customer;
    customer.customer_id = enrollment->customer_id();
    customer.loyalty_card = card.number;
    customer.given_name = clean.given_name();
    customer.family_name = clean.family_name();
    customer.tier = v1::TIER_STANDARD;
    try {
        customer = customer_for(card);
        if (basket_ && (!basket_->customer || basket_->customer->loyalty_card == card.number))
            attach_customer(customer);
    } catch (const std::exception& e) {
        spdlog::error("enrolled {}, but could not link the card to the basket: {}", customer.customer_id, e.what());
    }
    *response.mutable_customer() = summary(customer);
}

void Lane::lookup_customer(const v1::LookupCustomer& request, v1::PosResponse& response) {
    std::vector<domain::CustomerRecord> found;
    switch (request.key_case()) {
        case v1::LookupCustomer::kLoyaltyCard: {
            card::CardRead card;
            if (const auto ec = decoder_.decode_keyed(request.loyalty_card(), card)) {
                refuse(v1::POS_ERROR_CODE_CARD_REFUSED, ec.message(), "loyalty_card");
            }
            if (auto c = directory_.find_by_card(card.number)) found.push_back(std::move(*c));
            break;
        }
        case v1::LookupCustomer::kPhone:
            if (!domain::normalize_phone(request.phone())) {
                refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "phone must be international: + and 8 to 15 digits", "phone");
            }
            found = directory_.find_by_phone(request.phone());
            break;
        case v1::LookupCustomer::kEmail:
            if (!domain::normalize_email(request.email()))
                refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "email is not an e-mail address", "email");
            found = directory_.find_by_email(request.email());
            break;
        case v1::LookupCustomer::KEY_NOT_SET:
            refuse(v1::POS_ERROR_CODE_MISSING_FIELD, "give one of loyalty_card, phone or email", "key");
    }
    auto* matches = response.mutable_matches();
    for (const auto& c : found)
        *matches->add_customers() = summary(c);
}

void Lane::import_offers(const v1::ImportOffers& request, v1::PosResponse& response) {
    const v1::CatalogDelta& delta = request.delta();
    std::vector<std::string> ids;
    for (int i = 0; i < delta.offers_size(); ++i) {
        const std::string problem = domain::offers::validate_offer(delta.offers(i), config_.currency);
        if (!problem.empty())
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, problem, "delta.offers[" + std::to_string(i) + "]");
        if (std::find(ids.begin(), ids.end(), delta.offers(i).offer_id()) != ids.end()) {
            refuse(v1::POS_ERROR_CODE_INVALID_FIELD, "offer " + delta.offers(i).offer_id() + " is listed twice",
                   "delta.offers[" + std::to_string(i) + "]");
        }
        ids.push_back(delta.offers(i).offer_id());
    }
    if (delta.has_points_rules()) {
        const std::string problem = domain::offers::validate_points_rules(delta.points_rules());
        if (!problem.empty()) refuse(v1::POS_ERROR_CODE_INVALID_FIELD, problem, "delta.points_rules");
    }
    const std::vector<v1::Offer> offers(delta.offers().begin(), delta.offers().end());
    const std::vector<std::string> removed(delta.removed_offer_ids().begin(), delta.removed_offer_ids().end());
    store_.apply_offer_changes(offers, removed, delta.has_points_rules() ? &delta.points_rules() : nullptr);
    if (catalog_changed_) catalog_changed_();
    auto* imported = response.mutable_offers_imported();
    imported->set_added_or_changed(static_cast<std::uint32_t>(offers.size()));
    imported->set_removed(static_cast<std::uint32_t>(removed.size()));
    imported->set_live(static_cast<std::uint32_t>(store_.offer_count()));
    imported->set_points_rules(delta.has_points_rules());
    spdlog::info("offers imported: {} added or changed, {} removed, {} live", offers.size(), removed.size(),
                 imported->live());
}

// ---- status ------------------------------------------------------------------------------------------

v1::EventHeader Lane::header(const std::string& cashier_id) const {
    v1::EventHeader h;
    h.set_terminal_id(config_.terminal_id);
    h.set_store_id(config_.store_id);
    h.set_cashier_id(cashier_id);
    *h.mutable_terminal_time() = timestamp(now_());
    h.set_software_version(std::string{domain::k_version});
    return h;
}

void Lane::set_reader_state(v1::ReaderState state, const std::string& detail) {
    if (state == reader_state_) return;
    reader_state_ = state;
    v1::PosEvent event;
    event.mutable_reader_state()->set_reader(state);
    event.mutable_reader_state()->set_detail(detail);
    publish(event);
}

void Lane::set_link_state(v1::LinkState state, const std::string& detail) {
    link_detail_ = detail;
    if (state == link_state_) return;
    link_state_ = state;
    v1::PosEvent event;
    event.mutable_sync_state()->set_link(state);
    event.mutable_sync_state()->set_outbox_depth(store_.outbox_stats().depth);
    if (last_ack_) *event.mutable_sync_state()->mutable_last_ack() = timestamp(*last_ack_);
    publish(event);
}

void Lane::set_last_ack(Clock::time_point at) {
    last_ack_ = at;
}

v1::TerminalStatus Lane::status() {
    v1::TerminalStatus s;
    s.mutable_terminal()->set_store_id(config_.store_id);
    s.mutable_terminal()->set_terminal_id(config_.terminal_id);
    s.set_software_version(std::string{domain::k_version});
    s.set_reader(reader_state_);
    s.set_basket_open(basket_.has_value());
    s.set_basket_lines(basket_ ? static_cast<std::uint32_t>(basket_->lines.size()) : 0);
    s.set_outbox_depth(store_.outbox_stats().depth);
    s.set_link(link_state_);
    s.set_link_detail(link_detail_);
    s.set_acked_through(store_.acked_through());
    if (last_ack_) *s.mutable_last_ack() = timestamp(*last_ack_);
    s.set_catalog_version(store_.catalog_version());
    return s;
}

}  // namespace loyalty::terminal
