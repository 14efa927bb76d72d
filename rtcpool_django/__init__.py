"""rtcpool_django: a Django Channels app that is an ssp v2 signalling server for RTCPool."""

__version__ = "0.2.0"
