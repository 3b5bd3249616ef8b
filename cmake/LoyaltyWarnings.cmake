# loyalty_warnings: the warning set for the project's own code. Generated protobuf code is
# included as SYSTEM (see proto/CMakeLists.txt), so these apply only to what we write.
add_library(loyalty_warnings INTERFACE)
target_compile_options(loyalty_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wimplicit-fallthrough -Werror)
