"""Staff manage partner apps and webhooks here too; writes go through the
services, so tokens are shown once and access changes close connections."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.principal import Principal
from infra.errors import DomainError

from . import services
from .models import App, AppScope, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus, WebhookEventType
from .selectors import AppWithBacklog, apps_with_backlog


class AppForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=AppScope.choices, widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = App
        fields = ["name", "is_active", "scopes"]


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    form = AppForm
    list_display = [
        "name",
        "is_active",
        "scopes",
        "token_prefix",
        "pending_deliveries",
        "unsent_deliveries",
        "failed_deliveries",
        "oldest_pending_at",
        "created_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    readonly_fields = ["token_prefix", "created_by", "created_at", "token_rotated_at"]
    actions = ["rotate_token", "retry_failed_deliveries"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AppWithBacklog]:
        return apps_with_backlog(super().get_queryset(request))

    def _deliveries_link(self, app: AppWithBacklog, count: int, status: str) -> str:
        changelist = reverse("admin:partners_webhookdelivery_changelist")
        url = f"{changelist}?webhook__app__id__exact={app.pk}&status__exact={status}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description="pending deliveries", ordering="pending_deliveries")
    def pending_deliveries(self, app: AppWithBacklog) -> str:
        return self._deliveries_link(app, app.pending_deliveries, WebhookDeliveryStatus.PENDING)

    @admin.display(description="of those, in the outbox", ordering="unsent_deliveries")
    def unsent_deliveries(self, app: AppWithBacklog) -> int:
        return app.unsent_deliveries

    @admin.display(description="failed deliveries", ordering="failed_deliveries")
    def failed_deliveries(self, app: AppWithBacklog) -> str:
        return self._deliveries_link(app, app.failed_deliveries, WebhookDeliveryStatus.FAILED)

    @admin.display(description="oldest pending since", ordering="oldest_pending_at")
    def oldest_pending_at(self, app: AppWithBacklog):
        return app.oldest_pending_at

    @admin.action(description="Send the failed deliveries again")
    def retry_failed_deliveries(self, request, queryset):
        count = sum(
            services.webhook_deliveries_retry(principal=Principal.for_user(request.user), app_id=app.pk)
            for app in queryset
        )
        messages.success(request, f"{count} failed deliveries queued again.")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.app_update(
                principal=Principal.for_user(request.user),
                app_id=obj.pk,
                name=data["name"],
                scopes=data["scopes"],
                is_active=data["is_active"],
            )
            return
        app, token = services.app_create(
            principal=Principal.for_user(request.user), name=data["name"], scopes=data["scopes"]
        )
        if not data["is_active"]:
            services.app_update(principal=Principal.for_user(request.user), app_id=app.pk, is_active=False)
        obj.pk = app.pk
        messages.warning(request, f"Token of {app.name} (shown once, store it now): {token}")

    def delete_model(self, request, obj):
        services.app_delete(principal=Principal.for_user(request.user), app_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for app_id in list(queryset.values_list("pk", flat=True)):
            services.app_delete(principal=Principal.for_user(request.user), app_id=app_id)

    @admin.action(description="Rotate the token (the old one stops working at once)")
    def rotate_token(self, request, queryset):
        for app in queryset:
            app, token = services.app_token_rotate(principal=Principal.for_user(request.user), app_id=app.pk)
            messages.warning(request, f"New token of {app.name} (shown once, store it now): {token}")


class WebhookForm(forms.ModelForm):
    target_url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Webhook
        fields = ["app", "target_url", "events", "query", "is_active"]

    def clean(self):
        data = super().clean()
        if data.get("query") and data.get("events"):
            from schema.partners.webhook_documents import webhook_document_check

            try:
                data["query"] = webhook_document_check(query=data["query"], events=data["events"])
            except DomainError as error:
                self.add_error("query", error.message)
        return data


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ["app", "target_url", "events", "is_active", "created_at"]
    list_filter = ["is_active", "app"]
    list_select_related = ["app"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.webhook_update(
                principal=Principal.for_user(request.user),
                webhook_id=obj.pk,
                target_url=data["target_url"],
                events=data["events"],
                is_active=data["is_active"],
                query=data["query"],
            )
            return
        webhook, secret = services.webhook_create(
            principal=Principal.for_user(request.user),
            app_id=data["app"].pk,
            target_url=data["target_url"],
            events=data["events"],
            is_active=data["is_active"],
            query=data["query"],
        )
        obj.pk = webhook.pk
        messages.warning(request, f"Signing secret of this webhook (shown once, store it now): {secret}")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "status_code", "duration_ms", "error", "succeeded", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["uuid", "event", "webhook", "status", "attempt_count", "created_at", "delivered_at"]
    list_filter = ["status", "event", "webhook__app"]
    list_select_related = ["webhook__app"]
    readonly_fields = [
        "uuid",
        "webhook",
        "event",
        "payload",
        "errors",
        "status",
        "attempt_count",
        "created_at",
        "last_attempt_at",
        "delivered_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send again")
    def retry(self, request, queryset):
        for delivery in queryset:
            services.webhook_delivery_retry(principal=Principal.for_user(request.user), delivery_id=delivery.pk)
