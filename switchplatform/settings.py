"""Every setting of the platform, in one place.

Production differs from the embedded defaults only through environment variables, read by the
typed helpers in switchplatform.env, which stop start-up with a message naming a bad variable.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from switchplatform.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    raw = env_str("SECRET_KEY")
    if raw:
        if len(raw) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return raw
    # Secure by default without a manual step: the embedded setup keeps a random key in var/.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"])

# `make run PORT=9000` serves on 9000: the embedded default tells stations that port too.
_PORT = env_int("PORT", 8000, minimum=1)
OCPP_PUBLIC_URL = env_url("OCPP_PUBLIC_URL", f"ws://127.0.0.1:{_PORT}/ocpp/", schemes=("ws", "wss"))
if not OCPP_PUBLIC_URL.endswith("/"):
    OCPP_PUBLIC_URL += "/"
# Seconds a station waits between heartbeats, sent in BootNotification.conf.
OCPP_HEARTBEAT_INTERVAL = env_int("OCPP_HEARTBEAT_INTERVAL", 300, minimum=10)
# Largest OCPP frame accepted, in bytes; a larger frame closes the socket with 1009 (noted on the station).
OCPP_MAX_FRAME_BYTES = env_int("OCPP_MAX_FRAME_BYTES", 65536, minimum=1024)
# Per-station fairness (ocpp_gateway.ratelimit): frames per second on average (0: no limit), frames
# at once above that, and seconds over the rate before the socket is closed with 1008.
OCPP_RATE_LIMIT = env_int("OCPP_RATE_LIMIT", 20, minimum=0)
OCPP_RATE_BURST = env_int("OCPP_RATE_BURST", 200, minimum=1)
OCPP_RATE_LIMIT_CLOSE_AFTER = env_int("OCPP_RATE_LIMIT_CLOSE_AFTER", 60, minimum=1)
# Seconds the platform waits for a station's answer to a remote action.
OCPP_CALL_TIMEOUT = env_int("OCPP_CALL_TIMEOUT", 30, minimum=1)
# Station-initiated DataTransfer (ocpp_gateway.data_transfer): vendorIds whose data is kept, each
# optionally with its message ids ("com.example:Status|Ping,org.other"); others are UnknownVendorId.
OCPP_DATA_TRANSFER_VENDORS = [v.strip() for v in env_str("OCPP_DATA_TRANSFER_VENDORS").split(",") if v.strip()]
# Seconds between two CostUpdated messages (the running cost, tariffs app) for one 2.0.1 transaction.
COST_UPDATED_INTERVAL = env_int("COST_UPDATED_INTERVAL", 60, minimum=0)
# The site balancer (smartcharging.scheduling): milliseconds a session start/stop, and a meter value,
# wait before the location's shares are recomputed (requests meanwhile fold into one recompute).
SMART_CHARGING_DEBOUNCE = env_int("SMART_CHARGING_DEBOUNCE_MS", 300, minimum=0) / 1000
SMART_CHARGING_METER_DEBOUNCE = env_int("SMART_CHARGING_METER_DEBOUNCE_MS", 2000, minimum=0) / 1000
# Failed logins per (address, identity) per minute before that pair's further attempts are slowed
# to one verification per OCPP_AUTH_THROTTLE_DELAY seconds (ocpp_gateway.auth); never refused outright.
OCPP_AUTH_FAILURES_PER_MINUTE = env_int("OCPP_AUTH_FAILURES_PER_MINUTE", 20, minimum=1)
OCPP_AUTH_THROTTLE_DELAY = env_int("OCPP_AUTH_THROTTLE_DELAY", 1, minimum=0)
# Security profiles 2 and 3 (certificates app): TLS ends at nginx (deploy/nginx-switch.conf), which
# passes the verified client certificate in headers believed only from these addresses/CIDRs.
OCPP_TRUSTED_PROXIES = [p.strip() for p in env_str("OCPP_TRUSTED_PROXIES").split(",") if p.strip()]
# The wss:// URL stations are moved to by a security-profile upgrade (the identity is appended).
OCPP_TLS_PUBLIC_URL = env_url("OCPP_TLS_PUBLIC_URL", "", schemes=("wss",))
if OCPP_TLS_PUBLIC_URL and not OCPP_TLS_PUBLIC_URL.endswith("/"):
    OCPP_TLS_PUBLIC_URL += "/"
# The platform CA and the TLS server certificate (`manage.py init_pki`); keys are 0600.
PKI_DIR = Path(env_str("PKI_DIR", str(VAR_DIR / "pki")))
PKI_STATION_CERT_DAYS = env_int("PKI_STATION_CERT_DAYS", 365, minimum=1)
# Seconds a security-profile upgrade may take, reconnection included, before it is marked failed.
SECURITY_UPGRADE_TIMEOUT = env_int("SECURITY_UPGRADE_TIMEOUT", 900, minimum=30)

# Map tiles of the console's location maps ({s}, {z}, {x}, {y} placeholders, as Leaflet takes them).
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix")) or None

INSTALLED_APPS = [
    "daphne",
    "switchplatform.apps.SwitchAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "channels",
    "networks",
    "locations",
    "monitoring",  # OCPP 2.0.1 N: variable monitoring, customer information
    "displays",  # OCPP 2.0.1 O: display messages
    "stations",
    "ocpp_gateway",
    "sessions.apps.ChargingSessionsConfig",
    "tariffs",
    "reservations",
    "alerts",
    "firmware",
    "certificates",
    "commands",
    "diagnostics",
    "health",  # /health, /ready, /metrics (issue 16)
    "smartcharging",
    "console",
    "simulator",  # manage.py simulate_station; the platform's apps never import it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # /api/charging_station/… (the FAQ's path) answers as /api/charging_stations/… (issue 16).
    "stations.middleware.ChargingStationPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "networks.middleware.CurrentNetworkMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A task queue (Redis) outage answers 503 with the reason, not 500 (issue 13).
    "switchplatform.broker.BrokerUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "switchplatform.urls"
ASGI_APPLICATION = "switchplatform.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "switchplatform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "networks.context_processors.current_network",
            ],
        },
    },
]


def _databases() -> dict:
    url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Django understands: {exc}") from None
    if not config.get("NAME"):
        # "postgres://host" parses, then fails on the first query with a message about NAME.
        raise ImproperlyConfigured("DATABASE_URL names no database (e.g. postgres://user:pass@host:5432/switch)")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Persistent: with 0, every database_sync_to_async call reopens the file, and each time the
        # last connection closes SQLite checkpoints and deletes the WAL. Measured on the gateway
        # (1,000 stations, one frame per 10 s): p99 977 ms with 0, 18 ms persistent.
        config["CONN_MAX_AGE"] = None
        config["OPTIONS"] = {
            # WAL lets the gateway write while pages read; IMMEDIATE avoids "database is locked"
            # upgrades when two writers meet.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # psycopg prepares a statement a connection has run this often; Django turns that off for
        # the sake of connection poolers. Only the batch writers' cursors can prepare (Django's
        # bind on the client and never do): switchplatform.prepared.batch_cursor. Turn it off
        # behind a transaction-pooling PgBouncer older than 1.21.
        prepared = env_bool("DATABASE_PREPARED_STATEMENTS", True)
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "prepare_threshold": 5 if prepared else None}
    return {"default": config}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "networks.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "stations.hashers.StationPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {
        "BACKEND": env_str("DEFAULT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Firmware images (issue 6): the "firmware" storage alias. Local files under MEDIA_ROOT by default;
# FIRMWARE_STORAGE=s3 stores them in an S3-compatible bucket through django-storages.
FIRMWARE_STORAGE = env_str("FIRMWARE_STORAGE", "default").strip().lower()
if FIRMWARE_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("FIRMWARE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    STORAGES["firmware"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_url("AWS_S3_ENDPOINT_URL", "", schemes=("http", "https")) or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "location": env_str("FIRMWARE_S3_PREFIX", ""),
            # Images are served only through the platform's signed links, never public bucket URLs.
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
elif FIRMWARE_STORAGE == "default":
    STORAGES["firmware"] = dict(STORAGES["default"])
else:
    raise ImproperlyConfigured(f"FIRMWARE_STORAGE must be 'default' or 's3', got {FIRMWARE_STORAGE!r}")
# Largest firmware image accepted on upload, in bytes (admin and API answer with a field error).
FIRMWARE_MAX_UPLOAD_BYTES = env_int("FIRMWARE_MAX_UPLOAD_BYTES", 512 * 1024 * 1024, minimum=1)
# Seconds a station's download link stays valid after the retrieve time (plus the retry window).
FIRMWARE_LINK_MAX_AGE = env_int("FIRMWARE_LINK_MAX_AGE", 24 * 3600, minimum=1)
# Absolute base of the download links sent to stations; they must reach it over HTTP(S). Unset, it
# is the address stations already reach, OCPP_PUBLIC_URL's host and port (ws -> http, wss -> https),
# which follows PORT: `make run PORT=9000` links to port 9000.
def _http_base(ws_url: str) -> str:
    parsed = urlsplit(ws_url)
    return f"{'https' if parsed.scheme == 'wss' else 'http'}://{parsed.netloc}"


FIRMWARE_PUBLIC_BASE_URL = env_url(
    "FIRMWARE_PUBLIC_BASE_URL", _http_base(OCPP_PUBLIC_URL), schemes=("http", "https")
).rstrip("/")
# Station log uploads (diagnostics app: GetLog, 1.6 GetDiagnostics), stored in the default storage.
# The base of the upload URLs sent to stations (HTTP PUT/POST; FTP is not served): like the
# firmware links, the address stations already reach unless set.
DIAGNOSTICS_UPLOAD_BASE_URL = env_url(
    "DIAGNOSTICS_UPLOAD_BASE_URL", FIRMWARE_PUBLIC_BASE_URL, schemes=("http", "https")
).rstrip("/")
# Largest log file a station may upload, in bytes (larger: 413, nothing stored).
DIAGNOSTICS_MAX_UPLOAD_BYTES = env_int("DIAGNOSTICS_MAX_UPLOAD_BYTES", 100 * 1024 * 1024, minimum=1)
# How long after the request its upload URL takes a file (retries included).
DIAGNOSTICS_UPLOAD_MAX_AGE = timedelta(seconds=env_int("DIAGNOSTICS_UPLOAD_MAX_AGE", 2 * 24 * 3600, minimum=60))
# daphne serves static files itself in the embedded setup; behind nginx turn this off.
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# Browser security (issue 13). Behind TLS (OCPP_TLS_PUBLIC_URL set: nginx terminates TLS and
# certificates.proxy marks its requests https) cookies are Secure and HSTS is on by default;
# SECURE_COOKIES / SECURE_HSTS_SECONDS set either explicitly. HSTS is sent on HTTPS requests only.
SECURE_COOKIES = env_bool("SECURE_COOKIES", bool(OCPP_TLS_PUBLIC_URL))
if OCPP_TLS_PUBLIC_URL and not env_str("CSRF_TRUSTED_ORIGINS"):
    # The admin and console are served by the same nginx as the wss:// endpoint; nginx passes
    # Host without its port, so a browser's Origin on a non-443 port needs naming.
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, _http_base(OCPP_TLS_PUBLIC_URL)]
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# console.js reads the CSRF cookie for its fetch() posts, so it stays readable by our own scripts.
CSRF_COOKIE_HTTPONLY = False
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if OCPP_TLS_PUBLIC_URL else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_source(url: str) -> str:
    """The CSP source of the map tiles: scheme and host, "{s}" subdomains as a wildcard."""
    parsed = urlsplit(url.replace("{s}", "SUBDOMAIN"))
    host = parsed.netloc.replace("SUBDOMAIN", "*")
    return f"{parsed.scheme}://{host}" if parsed.scheme in ("http", "https") and host else ""


# Content-Security-Policy (django-csp) on every page: scripts only from our own static files (the
# console and admin carry no inline script or handler), so injected markup cannot run code. Inline
# style attributes stay allowed: Django's admin and the console's progress bars set widths inline,
# and styles cannot run script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *filter(None, [_tile_source(MAP_TILE_URL)])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login throttling for the admin and console login (django-axes): after LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused for LOGIN_COOLOFF_MINUTES.
# Keyed on the pair, an attacker elsewhere cannot lock the real user out; a failure during the
# lock-out does not extend it, so nobody is locked out for longer than the cool-off.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "networks.views.login_locked_out"
# The TCP peer, which certificates.proxy already replaced with the client for trusted proxies.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # One process: Channels' in-memory layer, its expiry sweep bounded (ocpp_gateway.channel_layer).
    CHANNEL_LAYERS = {"default": {"BACKEND": "ocpp_gateway.channel_layer.GatewayInMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker the embedded setup runs tasks in-process, at once.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
# Seconds before the Redis broker hands a task whose worker died (never acknowledged: late ack) to
# another worker. Must exceed the longest task, or a running task is handed out twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)}
# A Redis restart or outage must not stop the worker: retry the broker connection at start-up and
# while running, for ever (celery's default gives up after 100 attempts and the worker exits).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
# No results are stored: no nightly backend_cleanup task either.
CELERY_RESULT_EXPIRES = None
# Periodic tasks. With Redis, celery beat sends them (`make worker` runs beat inside the worker, or
# `make beat` on its own); without Redis, `manage.py serve` runs the same schedule in-process
# (switchplatform.celery.embedded_beat_start). Add an entry here for each periodic task.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between two runs of the sweeper that fails commands stuck past their deadline.
COMMANDS_SWEEP_SECONDS = env_int("COMMANDS_SWEEP_SECONDS", 15, minimum=1)
# Seconds a command may wait in the task queue (no worker took it) before the sweeper fails it.
COMMAND_QUEUE_TIMEOUT = env_int("COMMAND_QUEUE_TIMEOUT", 300, minimum=1)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "commands-sweep-stuck": {
        "task": "commands.tasks.commands_sweep_stuck",
        "schedule": float(COMMANDS_SWEEP_SECONDS),
        # A late run is worthless once the next one is due.
        "options": {"expires": float(COMMANDS_SWEEP_SECONDS)},
    },
}
# Days the OCPP message log is kept (a network may set its own); older frames are pruned in chunks
# of MESSAGE_PRUNE_CHUNK rows every MESSAGE_PRUNE_SECONDS (ocpp_gateway.services.messages_prune).
MESSAGE_RETENTION_DAYS = env_int("MESSAGE_RETENTION_DAYS", 90, minimum=1)
MESSAGE_PRUNE_SECONDS = env_int("MESSAGE_PRUNE_SECONDS", 3600, minimum=1)
MESSAGE_PRUNE_CHUNK = env_int("MESSAGE_PRUNE_CHUNK", 2000, minimum=1)
# Seconds between two sweeps that end reservations past their expiry (reservations app).
RESERVATIONS_EXPIRE_SECONDS = env_int("RESERVATIONS_EXPIRE_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["reservations-expire"] = {
    "task": "reservations.tasks.reservations_expire_task",
    "schedule": float(RESERVATIONS_EXPIRE_SECONDS),
    "options": {"expires": float(RESERVATIONS_EXPIRE_SECONDS)},
}
# Alerts (alerts app): seconds between two evaluations of the rules (each also sends due deliveries),
# a webhook's timeout, attempts per delivery and the first retry's delay (doubling after each).
ALERTS_EVALUATE_SECONDS = env_int("ALERTS_EVALUATE_SECONDS", 15, minimum=1)
ALERT_WEBHOOK_TIMEOUT = env_int("ALERT_WEBHOOK_TIMEOUT", 10, minimum=1)
ALERT_DELIVERY_ATTEMPTS = env_int("ALERT_DELIVERY_ATTEMPTS", 6, minimum=1)
ALERT_RETRY_SECONDS = env_int("ALERT_RETRY_SECONDS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["alerts-run"] = {
    "task": "alerts.tasks.alerts_run_task",
    "schedule": float(ALERTS_EVALUATE_SECONDS),
    "options": {"expires": float(ALERTS_EVALUATE_SECONDS)},
}
# Alert e-mail: SMTP when EMAIL_HOST is set; otherwise printed to the server's output (the embedded setup).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "alerts@localhost")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
CELERY_BEAT_SCHEDULE["gateway-prune-messages"] = {
    "task": "ocpp_gateway.tasks.messages_prune",
    "schedule": float(MESSAGE_PRUNE_SECONDS),
    "options": {"expires": float(MESSAGE_PRUNE_SECONDS)},
}
# Operations (issue 16). Fault records kept per station (stations.faults); refused unknown
# identities kept (ocpp_gateway.refusals: the oldest go first, an attacker cannot grow the table).
FAULT_HISTORY_PER_STATION = env_int("FAULT_HISTORY_PER_STATION", 500, minimum=1)
REFUSED_IDENTITIES_MAX = env_int("REFUSED_IDENTITIES_MAX", 1000, minimum=1)
# New refused identities one client address may add a minute (a flood from one address stays one row in 30).
REFUSED_IDENTITIES_PER_ADDRESS_MINUTE = env_int("REFUSED_IDENTITIES_PER_ADDRESS_MINUTE", 30, minimum=1)
# /metrics (Prometheus) answers a request bearing this token (Authorization: Bearer …) or coming
# from one of these addresses; with neither set it answers 403. Behind nginx every request comes
# from 127.0.0.1: use the token there.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", [])
# Seconds a gateway node's presence key lives in Redis without a heartbeat (ocpp_gateway.presence):
# a node killed outright has its stations marked offline within about 1.5 times this.
NODE_PRESENCE_TTL = env_int("NODE_PRESENCE_TTL", 10, minimum=3)
if REDIS_URL:
    # The nodes sweep each other; beat sweeps too, for when every node is gone.
    CELERY_BEAT_SCHEDULE["gateway-sweep-dead-nodes"] = {
        "task": "ocpp_gateway.tasks.gateway_sweep_dead_nodes",
        "schedule": float(NODE_PRESENCE_TTL),
        "options": {"expires": float(NODE_PRESENCE_TTL)},
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated request gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Switch charging platform API",
    "DESCRIPTION": "Networks, locations, charging stations, sessions, firmware and remote actions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the pinned drf-spectacular-sidecar package, served as our static
    # files: /api/docs/ works offline and runs no code fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "FirmwareStatusEnum": "firmware.models.FirmwareStatus",
        "EquipmentStatusEnum": "stations.models.EquipmentStatus",
        "SecurityProfileEnum": "stations.models.SecurityProfile",
        "LogStatusEnum": "diagnostics.models.LogStatus",
        "ReservationStatusEnum": "reservations.models.ReservationStatus",
        "DeliveryStatusEnum": "alerts.models.DeliveryStatus",
        "AlertKindEnum": "alerts.models.AlertKind",
        "ProfileKindEnum": "smartcharging.models.ProfileKind",
        "ProfileStatusEnum": "smartcharging.models.ProfileStatus",
        "LimitReportKindEnum": "smartcharging.models.LimitReportKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The level and logger on every line: an operator (and the fuzz test) tells an ERROR from a WARNING.
    "formatters": {"levelled": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "levelled"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # The ocpp library logs every frame at INFO; the message log in the database is the record.
        "ocpp": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # A 4xx (a viewer's 403, a 404) is the answer working as meant, not a fault: Django would log each
        # one with a traceback. 5xx stay at ERROR with theirs.
        "django.request": {"level": "ERROR"},
        "django.channels.server": {"level": "WARNING"},
    },
}
