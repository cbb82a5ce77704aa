// libinotifytools ships no pkg-config file; its header lives under inotifytools/.
#include <inotifytools/inotifytools.h>
#include <inotifytools/inotify.h>
