"""Settings for South-South Exchange, read from the environment (see README, "Configuration").

Production differs from development only by environment variables. With DEBUG off, a missing
SECRET_KEY stops the process, and the security settings default to what `check --deploy` asks.
"""

from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from exchange.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

django_stubs_ext.monkeypatch()  # lets annotations like ModelForm[Need] run

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-6f1c0e4b9a7d2e8f3c5b1a0d9e8f7c6b"  # noqa: S105 - refused when DEBUG is off
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfiguredEnv("SECRET_KEY must not be the development key when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "axes",
    "rules",
    "simple_history",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "catalog",
    "matching",
    "partners",
    "reports",
    "search",
    "notifications",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Records who made each change in the history of needs and entries.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "exchange.urls"
WSGI_APPLICATION = "exchange.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "exchange.context_processors.portal",
                "notifications.context_processors.inbox",
            ],
        },
    },
]

# Default: a SQLite file under var/ so that `make run` needs no server. Tests and production use
# PostgreSQL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/exchange
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'exchange.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in while an account or address is locked out after failed attempts.
    "axes.backends.AxesStandaloneBackend",
    # Object-level rules (accounts/permissions.py): `user.has_perm("needs.edit", need)`.
    "rules.permissions.ObjectPermissionBackend",
    # Sign-in by e-mail address; also Django's model permissions for the admin.
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# Accounts (django-allauth): sign-in by e-mail, which must be verified; sign-up only through an
# invitation (accounts/adapters.py). Failed sign-ins, sign-ups and password resets are rate
# limited through the cache; django-axes locks an address out after repeated failures.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.InvitationSignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[South-South Exchange] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_RATE_LIMITS = {
    "login": env_str("RATE_LIMIT_LOGIN", "30/m/ip"),
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env_str("RATE_LIMIT_SIGNUP", "20/m/ip"),
    "reset_password": env_str("RATE_LIMIT_RESET_PASSWORD", "20/m/ip,5/m/key"),
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    # The portal's own forms for people without an account (accounts/views.py).
    "request_access": env_str("RATE_LIMIT_REQUEST_ACCESS", "10/h/ip,3/h/key"),
    "request_erasure": env_str("RATE_LIMIT_REQUEST_ERASURE", "10/h/ip,3/h/key"),
}
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with {"email": ...}, not the form's field name (accounts/adapters.py).
AXES_USERNAME_CALLABLE = "accounts.adapters.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Redis serves as Celery's broker and Django's cache. Without it, Celery tasks run in-process.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 20 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SEARCH_INDEX_DIR = Path(env_str("SEARCH_INDEX_DIR", str(VAR_DIR / "search-index")))
# Keeping the index current (search/indexer.py; README, "Search"). Readers look for the
# indexer's commits this often; catch-up applies the change log in batches of this many rows.
SEARCH_READER_RELOAD_SECONDS = env_int("SEARCH_READER_RELOAD_SECONDS", 2)
SEARCH_CATCH_UP_BATCH_SIZE = env_int("SEARCH_CATCH_UP_BATCH_SIZE", 5_000)
SEARCH_INDEX_BATCH_SIZE = env_int("SEARCH_INDEX_BATCH_SIZE", 1_000)
SEARCH_CHANGE_LOG_RETENTION_DAYS = env_int("SEARCH_CHANGE_LOG_RETENTION_DAYS", 7)
# Without a broker nothing else runs the indexer: catch up in-process after each commit.
SEARCH_CATCH_UP_ON_COMMIT = env_bool("SEARCH_CATCH_UP_ON_COMMIT", CELERY_TASK_ALWAYS_EAGER)
# How often beat has a worker catch its machine's copy up; 0 leaves it to `search_indexer`.
SEARCH_CATCH_UP_SECONDS = env_int("SEARCH_CATCH_UP_SECONDS", 5)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "search-change-log-prune": {
        "task": "search.tasks.search_prune_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "search-saved-search-digest": {
        "task": "search.digest_tasks.saved_search_digest_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "notifications-daily-digest": {
        "task": "notifications.tasks.notification_digest_task",
        "schedule": crontab(hour=6, minute=30),
    },
    # Immediate e-mails that did not go out (lost message, retries exhausted).
    "notifications-email-sweep": {
        "task": "notifications.tasks.notification_email_sweep_task",
        "schedule": crontab(minute="*/15"),
    },
    # Asks partners to reconfirm entries not confirmed for ENTRY_RECONFIRM_AFTER_DAYS.
    "catalog-reconfirm-reminders": {
        "task": "catalog.tasks.entries_remind_reconfirm_task",
        "schedule": crontab(hour=5, minute=40),
    },
    # Tells the officers of each need about its new strong matches: one notification a day.
    "matching-strong-matches": {
        "task": "matching.tasks.notify_strong_matches",
        "schedule": crontab(hour=6, minute=10),
    },
    # Saved report definitions that are due (weekly, monthly) are built and e-mailed; runs left
    # "running" by a dead worker are failed with a message.
    "reports-dispatch": {
        "task": "reports.tasks.saved_reports_dispatch_task",
        "schedule": crontab(minute=5),
    },
    # Webhook deliveries whose retry message was lost are queued again; old ones pruned.
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep",
        "schedule": crontab(minute="*/5"),
    },
}
if SEARCH_CATCH_UP_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["search-catch-up"] = {
        "task": "search.tasks.search_catch_up_task",
        "schedule": float(SEARCH_CATCH_UP_SECONDS),
        # A worker busy elsewhere drops the runs it missed rather than queueing them up.
        "options": {"expires": SEARCH_CATCH_UP_SECONDS * 2},
    }

# Partner sync (partners/tasks.py): retries of a feed's network errors (the first after
# PARTNER_SYNC_RETRY_SECONDS, doubling), a run's time limit, when a silent run counts as left
# by a dead worker, and after how many failed runs in a row the source's contact is mailed.
PARTNER_SYNC_MAX_RETRIES = env_int("PARTNER_SYNC_MAX_RETRIES", 5)
PARTNER_SYNC_RETRY_SECONDS = env_int("PARTNER_SYNC_RETRY_SECONDS", 60)
PARTNER_SYNC_TIME_LIMIT_SECONDS = env_int("PARTNER_SYNC_TIME_LIMIT_SECONDS", 2 * 3600)
PARTNER_SYNC_STALE_SECONDS = env_int("PARTNER_SYNC_STALE_SECONDS", 15 * 60)
PARTNER_SYNC_FAILURES_BEFORE_EMAIL = env_int("PARTNER_SYNC_FAILURES_BEFORE_EMAIL", 3)
PARTNER_SYNC_CONNECTOR_FACTORY = env_str(
    "PARTNER_SYNC_CONNECTOR_FACTORY", "partners.connectors.connector_for"
)
CELERY_BEAT_SCHEDULE["partners-dispatch-due-sources"] = {
    "task": "partners.tasks.dispatch_due_sources",
    "schedule": crontab(),  # every minute
    "options": {"expires": 50},
}
CELERY_BEAT_SCHEDULE["partners-sweep-stale-runs"] = {
    "task": "partners.tasks.sweep_stale_runs",
    "schedule": crontab(minute="*/5"),
}

# Catalogue entries not confirmed by their owners for this many days are "to reconfirm" (the
# owners are reminded); after ENTRY_STALE_AFTER_DAYS they are shown as stale.
ENTRY_RECONFIRM_AFTER_DAYS = env_int("ENTRY_RECONFIRM_AFTER_DAYS", 365)
ENTRY_STALE_AFTER_DAYS = env_int("ENTRY_STALE_AFTER_DAYS", 365 + 90)

# Matching (matching/services.py): how many suggestions each open need keeps; how many open
# needs an entry's change refreshes at most; from which score (in percent) a suggestion is a
# strong match, which the need's officers are told about in a daily digest.
MATCH_SUGGESTIONS_PER_NEED = env_int("MATCH_SUGGESTIONS_PER_NEED", 20)
MATCH_REFRESH_NEEDS_PER_ENTRY = env_int("MATCH_REFRESH_NEEDS_PER_ENTRY", 50)
MATCH_STRONG_THRESHOLD = env_int("MATCH_STRONG_THRESHOLD_PERCENT", 60) / 100

# Webhooks (webhooks/; README, "Webhooks"): https only unless WEBHOOK_ALLOW_HTTP; never private
# or local addresses, except the networks listed (e.g. "127.0.0.1/32" for the tests' receiver).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env_list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", [])
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Attempts of one delivery, the first retry after about this many seconds (then x5 each time),
# failed attempts in a row that disable a webhook, and days the delivery log is kept.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 15)
WEBHOOK_DELIVERY_RETENTION_DAYS = env_int("WEBHOOK_DELIVERY_RETENTION_DAYS", 30)

# Which countries count as "Southern" beyond the documented rule (catalog/reference.py), e.g.
# economies in transition: a comma-separated list of ISO 3166 alpha-3 codes.
SOUTHERN_ALSO_ISO3 = env_list("SOUTHERN_ALSO_ISO3", [])

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
    ("ru", _("Russian")),
    ("zh-hans", _("Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Largest spreadsheet accepted by the bulk import of needs (/needs/import/), in bytes.
NEEDS_IMPORT_MAX_BYTES = env_int("NEEDS_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
# Largest spreadsheet of entries staff upload for a partner source, in bytes.
PARTNER_SPREADSHEET_MAX_BYTES = env_int("PARTNER_SPREADSHEET_MAX_BYTES", 20 * 1024 * 1024)

# Partner feeds (partners/connectors/http.py): seconds to connect and between two reads; seconds
# for a whole response; largest response in bytes (an IATI file can be large); pages of one
# resumption-token or cursor chain before a run stops as a loop.
PARTNER_FETCH_CONNECT_TIMEOUT = env_int("PARTNER_FETCH_CONNECT_TIMEOUT", 10)
PARTNER_FETCH_TIMEOUT = env_int("PARTNER_FETCH_TIMEOUT", 60)
PARTNER_FETCH_TOTAL_SECONDS = env_int("PARTNER_FETCH_TOTAL_SECONDS", 600)
PARTNER_FETCH_MAX_BYTES = env_int("PARTNER_FETCH_MAX_BYTES", 500 * 1024 * 1024)
PARTNER_FETCH_MAX_PAGES = env_int("PARTNER_FETCH_MAX_PAGES", 100_000)

# E-mail: the environment variables keep Django's classic names (EMAIL_HOST, ...).
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
elif _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    _EMAIL_OPTIONS = {"file_path": env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "South-South Exchange <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# OAI-PMH provider at /oai/ (catalog/oai.py): records are oai:<repository id>:entry/<id>, the id
# being a domain name (by default SITE_URL's host); records per page; contact e-mail in Identify.
OAI_REPOSITORY_IDENTIFIER = env_str(
    "OAI_REPOSITORY_IDENTIFIER", urlsplit(SITE_URL).hostname or "localhost"
)
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 100)
OAI_ADMIN_EMAIL = env_str("OAI_ADMIN_EMAIL", parseaddr(DEFAULT_FROM_EMAIL)[1])
# IATI export of agreed and completed matches (matching/iati_export.py): the reporting
# organisation (UNEP, operator of the portal) and the prefix of each activity's identifier.
IATI_REPORTING_ORG_REF = env_str("IATI_REPORTING_ORG_REF", "XM-DAC-41116")
IATI_REPORTING_ORG_NAME = env_str("IATI_REPORTING_ORG_NAME", "United Nations Environment Programme")
IATI_REPORTING_ORG_TYPE = env_str("IATI_REPORTING_ORG_TYPE", "40")
IATI_IDENTIFIER_PREFIX = env_str("IATI_IDENTIFIER_PREFIX", f"{IATI_REPORTING_ORG_REF}-SSE-MATCH")

# Security: strict unless DEBUG is on; each can still be set on its own.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sessions end after a working day without activity (each request renews the cookie).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers and compose health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

PORTAL_VERSION = "0.1.0"
# A report requested again with the same type, parameters and viewer scope within this many
# minutes is the stored run, not a new one (reports/services.py).
REPORT_REUSE_MINUTES = env_int("REPORT_REUSE_MINUTES", 60)

# REST API at /api/v1/ (README, "REST API"). Errors are RFC 9457 problem details
# (exchange/api_errors.py); API keys per organization (accounts/api/authentication.py) are
# throttled per key, anonymous clients per address.
API_KEY_THROTTLE_RATE = env_str("API_KEY_THROTTLE_RATE", "1200/hour")
API_ANON_THROTTLE_RATE = env_str("API_ANON_THROTTLE_RATE", "600/hour")
API_USER_THROTTLE_RATE = env_str("API_USER_THROTTLE_RATE", "2400/hour")
# Largest request body the API (and every form) accepts: larger ones get 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["exchange.api_support.ApiAccess"],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.api.throttling.ApiKeyThrottle",
        "accounts.api.throttling.AnonymousThrottle",
        "accounts.api.throttling.SessionUserThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["exchange.api_json.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["exchange.api_support.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "exchange.api_support.UpdatedCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "exchange.api_schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "exchange.api_errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "South-South Exchange API",
    "DESCRIPTION": (
        "The catalogue of Southern solutions, capacity-building needs and reference vocabularies "
        "of South-South Exchange. Errors are RFC 9457 problem details "
        "(application/problem+json). Authenticate with `Authorization: Bearer <api key>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SupportKindCodeEnum": "catalog.models.reference.SupportKind.Code",
        "RegionalOfficeCodeEnum": "catalog.models.reference.RegionalOffice.Code",
        "SyncRunStatusEnum": "partners.models.SyncRun.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "exchange.api_errors.add_problem_responses",
    ],
}
