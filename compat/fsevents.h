/*
 * compat/fsevents.h: the few FSEvents and CoreFoundation declarations
 * backend/mounts/mounts-watch-fsevents-darwin.c uses, as Apple documents
 * them (File System Events and CFArray/CFString references), for a
 * toolchain without <CoreServices/CoreServices.h>: the zig cc that
 * tests/port/macos.sh compiles with. A Mac's SDK has the real header and
 * this file is not used there (configure: HAVE_CORESERVICES_CORESERVICES_H).
 */
#ifndef BERTH_COMPAT_FSEVENTS_H
#define BERTH_COMPAT_FSEVENTS_H

#include <dispatch/dispatch.h>
#include <stdint.h>

typedef unsigned char Boolean;
typedef signed long CFIndex;
typedef double CFTimeInterval;
typedef uint32_t CFStringEncoding;
typedef const void *CFTypeRef;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef const struct __CFString *CFStringRef;
typedef const struct __CFArray *CFArrayRef;
typedef struct {
	CFIndex version;
	const void *retain, *release, *copyDescription, *equal;
} CFArrayCallBacks;

extern const CFAllocatorRef kCFAllocatorDefault;
extern const CFArrayCallBacks kCFTypeArrayCallBacks;
#define kCFStringEncodingUTF8 ((CFStringEncoding)0x08000100)

CFStringRef CFStringCreateWithCString(CFAllocatorRef, const char *,
                                      CFStringEncoding);
CFArrayRef CFArrayCreate(CFAllocatorRef, const void **, CFIndex,
                         const CFArrayCallBacks *);
void CFRelease(CFTypeRef);

typedef uint64_t FSEventStreamEventId;
typedef uint32_t FSEventStreamCreateFlags;
typedef uint32_t FSEventStreamEventFlags;
typedef struct __FSEventStream *FSEventStreamRef;
typedef const struct __FSEventStream *ConstFSEventStreamRef;
typedef struct {
	CFIndex version;
	void *info;
	const void *(*retain)(const void *);
	void (*release)(const void *);
	CFStringRef (*copyDescription)(const void *);
} FSEventStreamContext;
typedef void (*FSEventStreamCallback)(ConstFSEventStreamRef, void *, size_t,
                                      void *, const FSEventStreamEventFlags[],
                                      const FSEventStreamEventId[]);

#define kFSEventStreamEventIdSinceNow          0xFFFFFFFFFFFFFFFFULL
#define kFSEventStreamCreateFlagNoDefer        0x00000002
#define kFSEventStreamCreateFlagFileEvents     0x00000010
#define kFSEventStreamEventFlagMustScanSubDirs 0x00000001
#define kFSEventStreamEventFlagUserDropped     0x00000002
#define kFSEventStreamEventFlagKernelDropped   0x00000004
#define kFSEventStreamEventFlagRootChanged     0x00000020
#define kFSEventStreamEventFlagItemCreated     0x00000100
#define kFSEventStreamEventFlagItemRenamed     0x00000800
#define kFSEventStreamEventFlagItemIsDir       0x00020000

FSEventStreamRef FSEventStreamCreate(CFAllocatorRef, FSEventStreamCallback,
                                     FSEventStreamContext *, CFArrayRef,
                                     FSEventStreamEventId, CFTimeInterval,
                                     FSEventStreamCreateFlags);
void FSEventStreamSetDispatchQueue(FSEventStreamRef, dispatch_queue_t);
Boolean FSEventStreamStart(FSEventStreamRef);
void FSEventStreamStop(FSEventStreamRef);
void FSEventStreamInvalidate(FSEventStreamRef);
void FSEventStreamRelease(FSEventStreamRef);

#endif
