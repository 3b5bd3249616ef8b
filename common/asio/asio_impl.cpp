// The one translation unit that compiles Boost.Asio and Asio SSL
// (BOOST_ASIO_SEPARATE_COMPILATION is set on every user of loyalty_asio), so the rest of the
// build includes Asio's declarations only.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
