# Add to the end of mysite/settings.py.
# daphne first: `runserver` then serves WebSockets (and, with DEBUG, static files) too.
INSTALLED_APPS = ["daphne", *INSTALLED_APPS, "channels", "rtcpool_django", "calls"]
# The `daphne` command serves no static files: WhiteNoise serves them (rtcpool.js too),
# from the apps while DEBUG is on, from STATIC_ROOT after `collectstatic` otherwise.
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")  # after SecurityMiddleware
STATIC_ROOT = BASE_DIR / "staticfiles"

ASGI_APPLICATION = "mysite.asgi.application"
# One process: the in-memory layer (the app's, quicker than Channels'). Several workers
# need Redis (see the how-to).
CHANNEL_LAYERS = {"default": {"BACKEND": "rtcpool_django.layers.memory.InMemoryChannelLayer"}}

# Step 4: every new peer's description comes from the back-end.
RTCPOOL = {"INITIAL_DESCRIPTION": "calls.rtc.describe_new_peer"}

# Step 6: the invitation page asks who you are (the admin's login page will do).
LOGIN_URL = "admin:login"
