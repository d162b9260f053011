"""(filled in by the area's implementation)"""

urlpatterns: list = []
