// ARP/NDP codecs, responder over libpcap, gratuitous announcements.
export {};
