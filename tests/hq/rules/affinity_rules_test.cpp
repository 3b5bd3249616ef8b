// Bought-together rules with no database: counting baskets into support, confidence and lift.
#include "hq/rules/affinity_rules.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace loyalty::hq::rules;

namespace {

void basket(BasketCounter& counter, std::initializer_list<const char*> gtins) {
    for (const char* gtin : gtins)
        counter.add(gtin);
    counter.close_basket();
}

const Rule* find(const std::vector<Rule>& rules, const std::string& x, const std::string& y) {
    const auto it = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return r.x == x && r.y == y; });
    return it == rules.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("bought-together rules from counted baskets") {
    BasketCounter counter;
    // 10 baskets: bread in 5, butter in 4, both in 4 (bread twice in one basket counts once); jam
    // with bread once.
    for (int i = 0; i < 3; ++i)
        basket(counter, {"bread", "butter"});
    basket(counter, {"bread", "butter", "bread"});
    basket(counter, {"bread", "jam"});
    for (int i = 0; i < 5; ++i)
        basket(counter, {"milk"});
    counter.close_basket();  // an empty basket is no basket
    CHECK(counter.baskets() == 10);

    const auto rules = counter.rules(2);
    CHECK(rules.size() == 2);  // bread <-> butter; bread-jam is too rare
    const Rule* bread_butter = find(rules, "bread", "butter");
    const Rule* butter_bread = find(rules, "butter", "bread");
    REQUIRE(bread_butter);
    REQUIRE(butter_bread);
    CHECK(bread_butter->baskets_xy == 4);
    CHECK(bread_butter->support == Approx(0.4));
    CHECK(bread_butter->confidence == Approx(0.8));  // 4 of bread's 5 baskets
    CHECK(bread_butter->lift == Approx(0.8 / 0.4));  // butter is in 4 of 10
    CHECK(butter_bread->confidence == Approx(1.0));
    CHECK(butter_bread->lift == Approx(1.0 / 0.5));
    CHECK(counter.rules(1).size() == 4);  // bread <-> jam too
    CHECK(counter.rules(5).empty());
}
