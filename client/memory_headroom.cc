#include "client/memory_headroom.h"

#include <new>
#include <system_error>
#include <utility>

namespace qbake {

void CheckTransportHeadroom() {
  void* volatile headroom = ::operator new(kTransportHeadroom);
  ::operator delete(headroom);
}

std::thread StartThread(std::function<void()> run) {
  try {
    return std::thread(std::move(run));
  } catch (const std::system_error&) {
    if (const std::new_handler handler = std::get_new_handler()) handler();
    throw std::bad_alloc();
  }
}

}  // namespace qbake
