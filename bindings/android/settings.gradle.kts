// Standalone build of the Android library module (an app can instead `include` this directory).
// Untested: no Android SDK or Gradle could be used where this was written (see docs/mobile.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "mobilenmt-android"
