"""Settings, read from the environment; every variable has an embedded default for `make run`.

Each variable is documented in the README. `<NAME>_FILE` may hold the path of a file
with the secret instead of the value itself (Docker/Kubernetes secrets).
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# FileAwareEnv reads <NAME>_FILE when <NAME> is unset.
env = environ.FileAwareEnv()

DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

# Providers' credentials are encrypted at rest with the first of these comma-separated Fernet keys;
# all of them decrypt (add a new key first, run `manage.py rotate_credentials_key`, then drop the
# old one). Production must set them (the system checks, run by migrate, fail without them, and
# nothing decrypts); with DEBUG on the default is derived from SECRET_KEY.
CREDENTIALS_KEYS = env.list("CREDENTIALS_KEYS", default=[])
if not CREDENTIALS_KEYS and DEBUG:
    CREDENTIALS_KEYS = [base64.urlsafe_b64encode(hashlib.sha256(f"credentials:{SECRET_KEY}".encode()).digest())
                        .decode()]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_filters",
    "django_celery_beat",
    "django_celery_results",
    "axes",
    "csp",
    "backoffice",
    "inventory",
    "orders",
    "payments",
    "fiscal",
    "logistics",
    "channels",
    "marketplaces",
    "analytics",
]

MIDDLEWARE = [
    "backoffice.middleware.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise: static files keep their cache headers and carry no policy.
    "backoffice.middleware.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "backoffice.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "backoffice.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "backoffice.middleware.HtmxMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "backoffice.navigation.navigation",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "template_partials.templatetags.partials",
                "backoffice.templatetags.backoffice",
            ],
        },
    }
]

# Database: PostgreSQL in production; SQLite in WAL mode with immediate transactions
# (no "database is locked" on upgrade from read to write) as the embedded default.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one
# address, lock that username everywhere and that address for every username until
# LOGIN_LOCKOUT_MINUTES pass without another try (or an admin unlocks: Django admin → Access
# attempts, or `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`).
AUTHENTICATION_BACKENDS = [
    "backoffice.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The address the audit log records too, never a spoofable X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "backoffice.http.client_ip"
AXES_USERNAME_CALLABLE = "backoffice.backends.login_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A success does not clear the counters: it would clear the address's too, so an attacker with
# one account of their own could go on guessing others' passwords.
AXES_RESET_ON_SUCCESS = False
# Logins and failures are in our audit log already.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"

# EMAIL_URL sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... at once.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="loja@localhost")
# The address customers reach this back office at (links in e-mails, e.g. the survey).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: strict by default when DEBUG is off; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A session ends after SESSION_IDLE_TIMEOUT seconds without a request (each request pushes it on).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ENGINE = "backoffice.sessions"
# Only this site's own files: no inline script or style, no eval, no framing. Bootstrap's CSS
# draws its small icons (checkboxes, selects, close buttons) as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every successful login at INFO; failures and lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

# The cache (e.g. PayPal's certificates and access tokens), shared by the web server and the
# workers: Redis in production (CACHE_URL=redis://…), a file cache under var/ by default.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# Celery: Redis in production; a filesystem broker that needs no server by default.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "broker-control"),
        # The worker looks for new messages this often (seconds; kombu's default is 1, one per look).
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Tasks are acks_late: one whose worker died is delivered again once this many seconds pass
    # (looked for every minute at most). The lock a worker takes to look outlives the worker
    # if it is killed holding it; it expires by then too (kombu's 300 s, or the timeout if shorter).
    _visibility = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility,
                                       "unacked_restore_interval": min(_visibility, 60), "unacked_restore_throttle": 1,
                                       "unacked_mutex_expire": min(_visibility, 300)}
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Backstops against a task that runs away (they act with the prefork pool, not with --pool=solo):
# past the soft limit the task is told (SoftTimeLimitExceeded), past the hard one its process is
# killed and the task delivered again, as when a worker dies; a process that grew past the memory
# limit is replaced after its task. A delivery started TASK_MAX_STARTS times without finishing is
# not run again but marked failed (backoffice.queueing.GuardedTask). 0 turns a limit off. The limits
# travel with each message, as the process that sends the task has them.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60) or None
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT",
                                      default=(CELERY_TASK_TIME_LIMIT or 0) * 14 // 15) or None
# Celery waits for the soft limit before it starts counting to the hard one.
if CELERY_TASK_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT >= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_SOFT_TIME_LIMIT must be less than CELERY_TASK_TIME_LIMIT.")
CELERY_TASK_ACKS_ON_TIMEOUT = False
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=512 * 1024) or None  # KiB
TASK_MAX_STARTS = env.int("TASK_MAX_STARTS", default=3)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Save each periodic task's last run as soon as beat sends it, so the jobs page is current.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Sandbox mode (payments.sandbox, for the demo): this app plays the payment providers' APIs
# under /payments/sandbox/<provider>/ and staff can pay an order through them.
PAYMENTS_SANDBOX = env.bool("PAYMENTS_SANDBOX", default=False)
_SANDBOX_URL = f"{SITE_URL.rstrip('/')}/payments/sandbox"
# Payment providers' APIs (tests point them at local fakes, sandbox mode at the sandbox).
MERCADOPAGO_API_URL = env.str("MERCADOPAGO_API_URL", default=f"{_SANDBOX_URL}/mercadopago" if PAYMENTS_SANDBOX
                              else "https://api.mercadopago.com")
PAGBANK_API_URL = env.str("PAGBANK_API_URL", default=f"{_SANDBOX_URL}/pagbank" if PAYMENTS_SANDBOX
                          else "https://api.pagseguro.com")
PAYPAL_API_URL = env.str("PAYPAL_API_URL", default=f"{_SANDBOX_URL}/paypal" if PAYMENTS_SANDBOX
                         else "https://api-m.paypal.com")

# The CEP lookup that fills an address's street, district and city from its CEP (a code of
# orders.providers.CEP_LOOKUPS; empty: no lookup, the CEP fills only the UF). Sandbox mode
# (orders.providers.viacep.sandbox, for the demo): this app plays ViaCEP under /orders/sandbox/viacep/.
CEP_LOOKUP = env.str("CEP_LOOKUP", default="viacep")
CEP_SANDBOX = env.bool("CEP_SANDBOX", default=False)
VIACEP_API_URL = env.str("VIACEP_API_URL", default=f"{SITE_URL.rstrip('/')}/orders/sandbox/viacep" if CEP_SANDBOX
                         else "https://viacep.com.br")

# SEFAZ's NF-e web services (fiscal.providers.sefaz). Sandbox mode (fiscal.providers.sefaz.sandbox, for
# the demo): this app plays SEFAZ under /fiscal/sandbox/sefaz/. SEFAZ_URL, when set, replaces the base
# of every endpoint (each service at <SEFAZ_URL>/<service>, e.g. …/NFeAutorizacao4); empty: the UF's
# authorizer (SVRS, SVAN or its own) from nfelib's table. SEFAZ_CA_BUNDLE: a PEM file of the
# ICP-Brasil chain SEFAZ's servers are verified against (empty: the usual public authorities).
FISCAL_SANDBOX = env.bool("FISCAL_SANDBOX", default=False)
SEFAZ_URL = env.str("SEFAZ_URL", default=f"{SITE_URL.rstrip('/')}/fiscal/sandbox/sefaz" if FISCAL_SANDBOX else "")
SEFAZ_CA_BUNDLE = env.str("SEFAZ_CA_BUNDLE", default="")
# Seconds to wait for an answer (an authorization may take SEFAZ a while).
SEFAZ_TIMEOUT = env.float("SEFAZ_TIMEOUT", default=30.0)
# Hours after its authorization an NF-e may still be cancelled (the legal window; later, a return).
FISCAL_CANCEL_HOURS = env.int("FISCAL_CANCEL_HOURS", default=24)

# Carriers' APIs (logistics.providers). Sandbox mode (each carrier's sandbox.py, for the demo): this app
# plays them under /logistics/sandbox/<carrier>/ (tests point them at local fakes).
# Days without a tracking event after which a parcel on its way is "at risk" (logistics.promises).
LOGISTICS_STALE_DAYS = env.int("LOGISTICS_STALE_DAYS", default=3)
# The public tracking page: lookups per client address and per order number in each window (seconds),
# past which it answers 429 until the window ends.
LOGISTICS_TRACK_PER_ADDRESS = env.int("LOGISTICS_TRACK_PER_ADDRESS", default=30)
LOGISTICS_TRACK_PER_ORDER = env.int("LOGISTICS_TRACK_PER_ORDER", default=10)
LOGISTICS_TRACK_WINDOW_SECONDS = env.int("LOGISTICS_TRACK_WINDOW_SECONDS", default=900)
LOGISTICS_SANDBOX = env.bool("LOGISTICS_SANDBOX", default=False)
CORREIOS_API_URL = env.str("CORREIOS_API_URL", default=f"{SITE_URL.rstrip('/')}/logistics/sandbox/correios"
                           if LOGISTICS_SANDBOX else "https://api.correios.com.br")
MELHORENVIO_API_URL = env.str("MELHORENVIO_API_URL", default=f"{SITE_URL.rstrip('/')}/logistics/sandbox/melhorenvio"
                              if LOGISTICS_SANDBOX else "https://melhorenvio.com.br")

# Providers' webhooks: a signed time (Mercado Pago's ts, PayPal's transmission time) further
# than this from now, either way, is refused as a replay or a forgery.
PAYMENTS_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Rejected notifications (unsigned, forged, unreadable) per account and per client address:
# past this many in the window they are answered 429 and no longer stored; authentic ones
# always go through. A rejected one keeps only this many bytes of its body (and its hash).
PAYMENTS_WEBHOOK_REJECTED_LIMIT = env.int("PAYMENTS_WEBHOOK_REJECTED_LIMIT", default=30)
PAYMENTS_WEBHOOK_REJECTED_WINDOW_SECONDS = env.int("PAYMENTS_WEBHOOK_REJECTED_WINDOW_SECONDS", default=300)
PAYMENTS_WEBHOOK_REJECTED_BODY_BYTES = env.int("PAYMENTS_WEBHOOK_REJECTED_BODY_BYTES", default=2048)
# The same for the carriers' tracking notifications (logistics.notifications).
LOGISTICS_WEBHOOK_REJECTED_LIMIT = env.int("LOGISTICS_WEBHOOK_REJECTED_LIMIT", default=30)
LOGISTICS_WEBHOOK_REJECTED_WINDOW_SECONDS = env.int("LOGISTICS_WEBHOOK_REJECTED_WINDOW_SECONDS", default=300)
LOGISTICS_WEBHOOK_REJECTED_BODY_BYTES = env.int("LOGISTICS_WEBHOOK_REJECTED_BODY_BYTES", default=2048)

# The store website's tracking endpoint (analytics.tracking): the largest body read (a full batch of the
# longest events fits), requests per client address in each window (generous: many shoppers share one
# address behind carrier NAT), and the website's origins allowed (empty: any).
ANALYTICS_COLLECT_MAX_BYTES = env.int("ANALYTICS_COLLECT_MAX_BYTES", default=16 * 1024)
ANALYTICS_COLLECT_PER_ADDRESS = env.int("ANALYTICS_COLLECT_PER_ADDRESS", default=120)
ANALYTICS_COLLECT_WINDOW_SECONDS = env.int("ANALYTICS_COLLECT_WINDOW_SECONDS", default=60)
ANALYTICS_SITE_ORIGINS = env.list("ANALYTICS_SITE_ORIGINS", default=[])

# List screens count their rows up to this many (beyond it: "more than", narrow the filter).
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=10000)

# A beat tick or worker heartbeat older than this is reported as down on /health.
HEARTBEAT_STALE_SECONDS = env.int("HEARTBEAT_STALE_SECONDS", default=180)
