from django.contrib import admin, messages

from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.services import alert_rule_test
from networks.admin_mixins import NetworkScopedAdmin, ScopedRecordAdmin


@admin.action(description="Send a test alert")
def send_test_alert(modeladmin, request, queryset):
    for rule in queryset:
        for delivery in alert_rule_test(rule):
            level = messages.SUCCESS if delivery.status == "sent" else messages.WARNING
            outcome = "sent" if delivery.status == "sent" else f"not sent ({delivery.last_error}); retried later"
            modeladmin.message_user(request, f"{rule.name}: {delivery.get_channel_display()} to {delivery.target} {outcome}.", level)


@admin.register(AlertRule)
class AlertRuleAdmin(NetworkScopedAdmin):
    list_display = ["name", "kind", "network", "email_to", "webhook_url", "active"]
    list_filter = ["kind", "active", "network"]
    search_fields = ["name"]
    fields = ["network", "name", "kind", "offline_minutes", "email_to", "webhook_url", "active", "signing_secret"]
    readonly_fields = ["signing_secret"]
    actions = [send_test_alert]

    @admin.display(description="webhook signing secret")
    def signing_secret(self, obj: AlertRule) -> str:
        # Shown once, right after the rule is created (the API answers it in the create response).
        return "set: shown only when the rule is created" if obj.pk else "made when the rule is saved"

    def response_add(self, request, obj, post_url_continue=None):
        messages.info(request, f"Webhook signing secret for {obj.name!r} (copy it now, it is not shown again): {obj.webhook_secret}")
        return super().response_add(request, obj, post_url_continue)


class DeliveryInline(admin.TabularInline):
    model = AlertDelivery
    fields = ["channel", "target", "status", "attempts", "response_code", "last_error", "delivered_at", "next_attempt_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(ScopedRecordAdmin):
    list_display = ["title", "kind", "network", "station", "occurred_at", "test", "created_at"]
    list_filter = ["kind", "test"]
    search_fields = ["title", "station__identity"]
    fields = ["title", "detail", "kind", "rule", "network", "station", "occurred_at", "test", "created_at"]
    readonly_fields = fields
    inlines = [DeliveryInline]
