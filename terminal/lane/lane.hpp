// Lane: one checkout lane's basket, and everything the POS asks of the terminal (spec §3.2).
//
// It turns each PosRequest into a PosResponse: begin a basket, identify the shopper (card read,
// keyed, or looked up), add / change / remove lines, totals, redeem points, complete, void,
// return against an earlier sale, enroll a customer, status. Every basket change is written to
// the local store before the response, so an open basket survives a crash; a completed sale is
// durable (record_purchase) before the POS hears it is done. Prices come from the domain::OfferEngine on
// every change.
//
// Errors are answers, not exceptions: a bad request gets a PosError naming the problem and the
// field, and leaves the basket exactly as it was. A card number that is not the chain's is never
// kept, logged or echoed (the CardDecoder wipes it).
//
// Threads: not thread-safe; the daemon calls it from its one I/O thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/offers/customer_record.hpp"
#include "domain/offers/offer_engine.hpp"
#include "loyalty/v1/pos_api.pb.h"
#include "terminal/card/card_decoder.hpp"
#include "terminal/card/debouncer.hpp"
#include "terminal/config/terminal_config.hpp"
#include "terminal/store/customer_directory.hpp"
#include "terminal/store/local_store.hpp"

namespace loyalty::terminal {

class Lane {
public:
    using WallClock = std::function<Clock::time_point()>;
    using Publisher = std::function<void(const v1::PosEvent&)>;

    static constexpr std::size_t k_max_lines = 500;

    // Recovers the open basket from `store`, if there is one.
    Lane(const TerminalConfig& config, LocalStore& store, const domain::OfferEngine& offers,
         WallClock now = Clock::now);

    // Where pushed events go (card identified / refused, reader and link state).
    void set_publisher(Publisher publish) { publish_ = std::move(publish); }
    // Called after offers were imported into the store, to reload the offer engine.
    void set_catalog_listener(std::function<void()> changed) { catalog_changed_ = std::move(changed); }
    // Called after an event was recorded in the outbox (sync sends it at once).
    void set_event_listener(std::function<void()> recorded) { event_recorded_ = std::move(recorded); }

    // One request from a POS client. Never throws.
    v1::PosResponse handle(const v1::PosRequest& request);

    // One read from the card reader (terminator removed). Publishes card identified or card
    // refused, unless it repeats the previous card within the debounce window. A partial read
    // (the reader stopped before its terminator) is refused as unreadable without decoding it.
    // The caller wipes `raw`.
    // Returns what was published (nothing for a repeated card).
    std::optional<v1::PosEvent> card_read(std::string_view raw, bool partial = false,
                                          card::Debouncer::Clock::time_point at = card::Debouncer::Clock::now());

    void set_reader_state(v1::ReaderState state, const std::string& detail);
    // The link to head office, as sync reports it: pushed to subscribers and shown in status.
    void set_link_state(v1::LinkState state, const std::string& detail = {});
    void set_last_ack(Clock::time_point at);

    bool basket_open() const { return basket_.has_value(); }
    v1::TerminalStatus status();

private:
    struct Basket {
        std::string sale_id;
        std::string cashier_id;
        Clock::time_point opened_at;
        std::vector<v1::SaleLine> lines;
        std::uint32_t next_line_no = 1;
        std::optional<domain::CustomerRecord> customer;
        std::int64_t points_to_redeem = 0;
        std::vector<std::string> coupon_codes;
    };

    void begin_basket(const v1::BeginBasket& request, v1::PosResponse& response);
    void identify_card(const v1::IdentifyCard& request, v1::PosResponse& response);
    void add_item(const v1::AddItem& request, v1::PosResponse& response);
    void change_quantity(const v1::ChangeQuantity& request, v1::PosResponse& response);
    void remove_line(const v1::RemoveLine& request, v1::PosResponse& response);
    void redeem_points(const v1::RedeemPoints& request, v1::PosResponse& response);
    void apply_coupon(const v1::ApplyCoupon& request, v1::PosResponse& response);
    void complete_sale(const v1::CompleteSale& request, v1::PosResponse& response);
    void void_basket(const v1::VoidBasket& request, v1::PosResponse& response);
    void return_sale(const v1::ReturnSale& request, v1::PosResponse& response);
    void enroll_customer(const v1::EnrollCustomer& request, v1::PosResponse& response);
    void lookup_customer(const v1::LookupCustomer& request, v1::PosResponse& response);
    void import_offers(const v1::ImportOffers& request, v1::PosResponse& response);

    Basket& open_basket_or_fail();
    v1::SaleLine& line_or_fail(Basket& basket, std::uint32_t line_no);
    // Applies `change` to the basket in memory, prices it, then `persist`s it; if pricing or the
    // write fails the basket in memory is put back, so memory and store never disagree.
    template <typename Change, typename Persist>
    v1::BasketView commit_change(Change&& change, Persist&& persist);
    // The customer behind a decoded chain card: cached, or an anonymous member.
    domain::CustomerRecord customer_for(const card::CardRead& card);
    void attach_customer(const domain::CustomerRecord& customer);
    v1::CustomerSummary summary(const domain::CustomerRecord& customer) const;
    v1::BasketView view(domain::PricedBasket* priced_out = nullptr) const;
    v1::EventHeader header(const std::string& cashier_id) const;
    void publish(const v1::PosEvent& event) const;
    void recover();

    const TerminalConfig& config_;
    LocalStore& store_;
    CustomerDirectory directory_;
    const domain::OfferEngine& offers_;
    card::CardDecoder decoder_;
    card::Debouncer debouncer_;
    WallClock now_;
    Publisher publish_;
    std::function<void()> catalog_changed_;
    std::function<void()> event_recorded_;
    std::optional<Basket> basket_;
    // A card identified before the basket was begun joins the next basket begun within
    // k_pending_card_window; after that it belonged to some earlier shopper.
    static constexpr std::chrono::seconds k_pending_card_window{120};
    std::optional<domain::CustomerRecord> pending_customer_;
    Clock::time_point pending_since_{};
    v1::ReaderState reader_state_ = v1::READER_STATE_UNSPECIFIED;
    v1::LinkState link_state_ = v1::LINK_STATE_OFFLINE;
    std::string link_detail_;
    std::optional<Clock::time_point> last_ack_;
    void recorded() {
        if (event_recorded_) event_recorded_();
    }
};

}  // namespace loyalty::terminal
