from django.contrib.admin.apps import AdminConfig


class SwitchAdminConfig(AdminConfig):
    default_site = "switchplatform.admin_site.SwitchAdminSite"
