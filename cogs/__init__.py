"""Feature modules: each declares `cog = Cog(...)` and never imports a platform library."""
