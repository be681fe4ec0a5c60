fn main() {
    deck_app::start();
}
